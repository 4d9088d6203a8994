"""Small, real HTTP servers that stand in for amoCRM, Bitrix24, HubSpot and a signed-webhook receiver in tests.

Each implements the documented requests and answers of its CRM that the adapters use (auth, token refresh,
error bodies, rate-limit answers), keeps its records in memory, and runs on a free loopback port in a thread.
"""
