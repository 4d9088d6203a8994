"""Turning a recording that arrives (a local file now; webhooks and bucket events later) into a stored, queued call."""
