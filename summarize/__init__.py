"""The analyze stage: conversation metrics, the call-script scorecard, the summary and LLM-proposed CRM values.

The entry point is `summarize.core.analyze`; the phrase engine (`summarize.phrases`) is shared with CRM field rules.
"""
