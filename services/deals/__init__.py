"""Deals above calls: stored from a CRM sync or a file import, linked to their calls, checked for risks."""
