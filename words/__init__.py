"""Shared words below the stages: Russian and English number, money, date, month, weekday and currency words.

`summarize/` (reading what was said) and `crm_fill/` (checking what a rep typed or an LLM answered) read amounts and
dates through these modules, so a value means the same on both sides. Nothing here imports a stage or `models`.
"""
