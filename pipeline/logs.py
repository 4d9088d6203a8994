"""Structured logs: every record says which call and stage it is about, as key=value text or JSON lines."""

import json
import logging
import sys
from datetime import UTC, datetime

CONTEXT_KEYS = ("call_id", "stage", "file")
# Libraries whose info lines (each HTTP request, each model load) would drown the calls' own.
NOISY_LOGGERS = (
    "faster_whisper",
    "httpx",
    "urllib3",
    "pytorch_lightning",
    "lightning",
    "speechbrain",
    "pika",
    "alembic",
)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_KEYS if hasattr(record, k))
        line = (
            f"{self.formatTime(record, '%H:%M:%S')} {record.levelname.lower():7} {record.name}: {record.getMessage()}"
        )
        if context:
            line += f" [{context}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update({k: getattr(record, k) for k in CONTEXT_KEYS if hasattr(record, k)})
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure(level: int, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
