"""The HMAC-SHA256 request signature shared by the generic inbound webhook and the events we publish.

The signed text is f"{timestamp}." followed by the raw body, so a captured request cannot be replayed later
with a fresh timestamp: the receiver refuses timestamps outside its tolerance.
"""

import hashlib
import hmac
import re

TIMESTAMP_HEADER = "X-Callintel-Timestamp"
SIGNATURE_HEADER = "X-Callintel-Signature"
EVENT_HEADER = "X-Callintel-Event"
EVENT_ID_HEADER = "X-Callintel-Event-Id"

_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: "sha256=" and the hex HMAC-SHA256 of f"{timestamp}.{body}"."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    timestamp: str | int | None,
    body: bytes,
    signature: str | None,
    *,
    now: float,
    tolerance_s: float,
) -> str | None:
    """None when the signature is valid and its timestamp within tolerance_s of now (unix seconds);
    otherwise why not, in words fit for a 401 answer."""
    if timestamp is None or timestamp == "":
        return f"missing {TIMESTAMP_HEADER} header"
    if not signature:
        return f"missing {SIGNATURE_HEADER} header"
    if isinstance(timestamp, str):
        if not timestamp.isascii() or not timestamp.isdigit():
            return f"{TIMESTAMP_HEADER} must be unix seconds"
        timestamp = int(timestamp)
    given = signature.strip().lower()
    if not _SIGNATURE.fullmatch(given):
        return f"{SIGNATURE_HEADER} must be 'sha256=' and 64 hex digits"
    age = now - timestamp
    if age > tolerance_s:
        return f"{TIMESTAMP_HEADER} is {age:.0f} s old, over the {tolerance_s:.0f} s allowed (replay?)"
    if -age > tolerance_s:
        return f"{TIMESTAMP_HEADER} is {-age:.0f} s in the future, over the {tolerance_s:.0f} s allowed"
    # Constant time, so how long a refusal takes tells an attacker nothing about how close a guess was.
    if not hmac.compare_digest(given.encode("ascii"), sign(secret, timestamp, body).encode("ascii")):
        return f"{SIGNATURE_HEADER} does not match the body"
    return None
