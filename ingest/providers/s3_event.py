"""S3/MinIO bucket notifications: a recording dropped into a bucket becomes a call.

Point a MinIO webhook target at POST {public_url}/ingest/s3 with auth_token set to CALLINTEL_S3_EVENTS_TOKEN
(MinIO sends it as `Authorization: Bearer <token>`), and subscribe it to put events on the recordings bucket.

The service's own bucket holds its recordings and results: an event there is taken in only under the drop zone
(CALLINTEL_S3_INCOMING_PREFIX), never under the prefixes the service writes, and is otherwise ignored with a log
line (a notification on the whole bucket announces every result the service writes). A key that names a parent
folder ('..') or holds control characters is refused with 400.
"""

import json
from typing import Any
from urllib.parse import unquote_plus

from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest, bearer_token, configured, same_secret
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


# What the service itself writes in its bucket (recordings by content, each call's results and playback copy).
SERVICE_PREFIXES = ("recordings/", "calls/")


def _check_key(key: str, where: str) -> None:
    if any(part in (".", "..") for part in key.split("/")) or key.startswith("/"):
        raise RejectedRequest(400, f"{where}.s3.object.key: {key!r} names a parent or root folder")
    if any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise RejectedRequest(400, f"{where}.s3.object.key: holds control characters")


def not_for_intake(bucket: str, key: str, settings: Settings) -> str | None:
    """Why an object in the service's own bucket is not a recording to take in; None when it is one."""
    if bucket != settings.s3_bucket:
        return None
    prefix = settings.s3_incoming_prefix
    if key.startswith(SERVICE_PREFIXES):
        return f"{bucket}/{key} is the service's own object"
    if not prefix:
        return f"{bucket}/{key}: the service's bucket has no drop zone (CALLINTEL_S3_INCOMING_PREFIX)"
    if not key.startswith(prefix):
        return f"{bucket}/{key} is outside the drop zone {prefix!r}"
    return None


def _incoming(record: dict[str, Any], where: str, settings: Settings) -> IncomingCall | Ignored | None:
    name = _text(record, where, "eventName")
    # MinIO names events 's3:ObjectCreated:Put', AWS 'ObjectCreated:Put'; removals and reads announce nothing new.
    if not name.removeprefix("s3:").startswith("ObjectCreated:"):
        return None
    bucket = _text(record, where, "s3", "bucket", "name")
    # Keys arrive URL-encoded, spaces as '+'.
    key = unquote_plus(_text(record, where, "s3", "object", "key"))
    if key.endswith("/"):
        return None
    _check_key(key, where)
    reason = not_for_intake(bucket, key, settings)
    if reason is not None:
        return Ignored(reason)
    return IncomingCall(
        provider="s3", external_id=f"{bucket}/{key}", bucket=bucket, object_key=key, size_bytes=_size(record, where)
    )


def parse(request: ProviderRequest, settings: Settings) -> list[IncomingCall | Ignored]:
    """One call per created object, or why it is ignored; an event with no records (MinIO's test event) gives none."""
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
        incoming = _incoming(record, where, settings)
        if incoming is not None:
            calls.append(incoming)
    return calls
