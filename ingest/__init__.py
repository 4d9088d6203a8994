"""Turning a recording that arrives (a telephony webhook, a bucket event, an upload or a local file) into a stored,
queued call."""
