"""The FastAPI app: the ingest endpoints, the JSON API over calls and deliveries, health and metrics."""
