"""S3/MinIO bucket notifications: a recording dropped into a bucket becomes a call.

Point a MinIO webhook target at POST {public_url}/ingest/s3 with auth_token set to CALLINTEL_S3_EVENTS_TOKEN
(MinIO sends it as `Authorization: Bearer <token>`), and subscribe it to put events on the recordings bucket.
"""

import json
from typing import Any
from urllib.parse import unquote_plus

from ingest.providers.base import ProviderRequest, RejectedRequest, bearer_token, configured, same_secret
from models import IncomingCall
from pipeline.settings import Settings


def _text(record: dict[str, Any], where: str, *path: str) -> str:
    value: Any = record
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        raise RejectedRequest(422, f"{where}.{'.'.join(path)}: expected a non-empty string")
    return value


def _size(record: dict[str, Any], where: str) -> int | None:
    size = record.get("s3", {}).get("object", {}).get("size")
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise RejectedRequest(422, f"{where}.s3.object.size: expected a byte count, got {size!r}")
    return size


def _incoming(record: dict[str, Any], where: str) -> IncomingCall | None:
    name = _text(record, where, "eventName")
    # MinIO names events 's3:ObjectCreated:Put', AWS 'ObjectCreated:Put'; removals and reads announce nothing new.
    if not name.removeprefix("s3:").startswith("ObjectCreated:"):
        return None
    bucket = _text(record, where, "s3", "bucket", "name")
    # Keys arrive URL-encoded, spaces as '+'.
    key = unquote_plus(_text(record, where, "s3", "object", "key"))
    if key.endswith("/"):
        return None
    return IncomingCall(
        provider="s3", external_id=f"{bucket}/{key}", bucket=bucket, object_key=key, size_bytes=_size(record, where)
    )


def parse(request: ProviderRequest, settings: Settings) -> list[IncomingCall]:
    """One call per created object; an event with no records (MinIO's test event) gives none."""
    token = configured(settings.s3_events_token, "bucket notifications (CALLINTEL_S3_EVENTS_TOKEN)")
    given = bearer_token(request.header("authorization"))
    if given is None:
        raise RejectedRequest(401, "missing Authorization: Bearer token")
    if not same_secret(given, token):
        raise RejectedRequest(401, "wrong bearer token")
    try:
        event = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RejectedRequest(422, f"body is not valid JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise RejectedRequest(422, f"expected a JSON object, got {type(event).__name__}")
    records = event.get("Records") or []
    if not isinstance(records, list):
        raise RejectedRequest(422, "Records: expected a list")
    calls = []
    for index, record in enumerate(records):
        where = f"Records[{index}]"
        if not isinstance(record, dict):
            raise RejectedRequest(422, f"{where}: expected an object")
        incoming = _incoming(record, where)
        if incoming is not None:
            calls.append(incoming)
    return calls
