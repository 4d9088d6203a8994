"""Delivering the outbox: signed webhook POSTs to subscribers, retried with backoff, dead letters kept for retry."""
