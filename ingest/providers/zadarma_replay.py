"""What Zadarma's signatures cannot say: where a notification came from and whether it was sent before.

A notification is refused (403) from an address outside CALLINTEL_ZADARMA_ALLOWED_SOURCES when that is set, and
(409) when its signature is one already taken: Zadarma's signatures carry no timestamp, so the same signed form
sent again is a replay. A signature is remembered only once its call was taken in, so Zadarma's own retry after a
failed attempt still goes through.
"""

import ipaddress

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ingest.providers.base import RejectedRequest
from pipeline.db import SeenSignature
from pipeline.runtime import Runtime
from pipeline.settings import Settings

PROVIDER = "zadarma"


def check_source(address: str | None, settings: Settings) -> None:
    allowed = settings.zadarma_allowed_sources
    if not allowed:
        return
    try:
        source = ipaddress.ip_address(address or "")
    except ValueError:
        source = None
    if source is None or not any(source in ipaddress.ip_network(net, strict=False) for net in allowed):
        raise RejectedRequest(403, f"Zadarma notifications are not taken from {address or 'an unknown address'}")


def refuse_seen(signature: str, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        seen = session.scalar(
            select(SeenSignature.seen_at).where(
                SeenSignature.provider == PROVIDER, SeenSignature.signature == signature.strip()[:128]
            )
        )
    if seen is not None:
        raise RejectedRequest(409, f"this signed Zadarma notification was already taken at {seen:%Y-%m-%d %H:%M} UTC")


def remember(signature: str, runtime: Runtime) -> None:
    try:
        with runtime.db.session() as session:
            session.add(SeenSignature(provider=PROVIDER, signature=signature.strip()[:128]))
    except IntegrityError:
        pass  # a concurrent copy of the same notification remembered it first
