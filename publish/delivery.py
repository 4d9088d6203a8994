"""Sending due outbox deliveries: signed POSTs to subscribers and writes to CRM connections, retried with backoff,
dead at the last try or when a CRM refuses one for good."""

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.events import Event
from pipeline.db import Delivery, OutboxEvent
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.signing import EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from publish.crm import Attempt, send_to_crm
from publish.secrets import SubscriberSecretError, seal_plaintext_secrets, signing_secret

log = logging.getLogger(__name__)

JITTER = 0.1


@dataclass
class DeliveryRound:
    """What one pass over the due deliveries did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    next_attempt_at: datetime | None = None
    """The earliest attempt still pending for the call (for every call when the round was for all), or None."""


def utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything this package stores is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def backoff_s(attempts: int, min_s: float, max_s: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the attempts-th failure: doubling from min_s, capped at max_s, less up to 10 %
    so that deliveries which failed together (a subscriber outage) do not all come back in the same second."""
    base = min(min_s * 2 ** (attempts - 1), max_s)
    return base * (1 - JITTER * rng())


def deliver_due(
    runtime: Runtime,
    call_id: str | None,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> DeliveryRound:
    """Attempt every pending delivery of the call (of all calls when call_id is None) due by now.

    `now` fixes the clock for the whole round (tests move it forward); by default each attempt is signed and
    scheduled at the time it is made, since a round of slow subscribers can take minutes.
    """
    cutoff = now or datetime.now(UTC)
    clock = (lambda: cutoff) if now is not None else (lambda: datetime.now(UTC))
    done = DeliveryRound()
    try:
        seal_plaintext_secrets(runtime)
    except SubscriberSecretError as exc:
        log.error("subscriber secrets left unsealed: %s", exc)
    with _http(client) as http:
        while _deliver_next(runtime, call_id, cutoff, clock, http, done):
            pass
    with runtime.db.session() as session:
        query = select(func.min(Delivery.next_attempt_at)).where(Delivery.status == "pending")
        if call_id is not None:
            query = query.join(OutboxEvent, Delivery.event_id == OutboxEvent.id).where(OutboxEvent.call_id == call_id)
        earliest = session.scalar(query)
    done.next_attempt_at = utc(earliest) if earliest is not None else None
    return done


@contextmanager
def _http(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client() as own:
        yield own


def _deliver_next(
    runtime: Runtime,
    call_id: str | None,
    cutoff: datetime,
    clock: Callable[[], datetime],
    http: httpx.Client,
    done: DeliveryRound,
) -> bool:
    """Claim one due delivery, attempt it and record the outcome; False when none is left to claim.

    The row stays locked through the HTTP call, in one transaction per delivery. A worker that dies mid-send
    releases the lock by dying, the row is still pending, and the next round sends it again: at least once,
    which subscribers absorb by event id. Marking rows in flight instead would need a lease and a sweeper to
    recover from exactly that crash; the price here is one open transaction per worker for at most the timeout.
    """
    with runtime.db.session() as session:
        delivery = _claim(session, call_id, cutoff)
        if delivery is None:
            return False
        event, subscriber, crm = delivery.event, delivery.subscriber, delivery.crm_connection
        context = {"call_id": event.call_id}
        gone = "subscriber removed" if subscriber is not None and not subscriber.active else None
        if crm is not None and not crm.enabled:
            gone = "CRM connection removed"
        if gone:
            # Removed after this event was recorded: nobody wants it any more.
            delivery.status, delivery.last_error = "dead", gone
            done.dead += 1
            return True
        at = clock()
        if crm is not None:
            attempt = send_to_crm(runtime, session, delivery, crm)
            where = f"event {event.id} ({event.type}) to {crm.kind} connection {crm.id}"
        else:
            attempt = Attempt(error=_send(http, runtime.settings, delivery, at))
            host = urlsplit(subscriber.url).hostname if subscriber else None
            where = f"event {event.id} ({event.type}) to subscriber {delivery.subscriber_id} at {host}"
        _record(runtime.settings, delivery, attempt, at, where, done, context)
        return True


def _record(
    s: Settings, delivery: Delivery, attempt: Attempt, at: datetime, where: str, done: DeliveryRound, context: dict
) -> None:
    """The delivery's state after an attempt: delivered, pending until the next one, or dead."""
    delivery.attempts += 1
    error = attempt.error
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", at, None
        done.delivered += 1
        log.info("delivered %s, attempt %d", where, delivery.attempts, extra=context)
        return
    delivery.last_error = error
    if attempt.permanent or delivery.attempts >= s.publish_max_attempts:
        delivery.status = "dead"
        done.dead += 1
        if attempt.permanent:
            log.error("%s refused for good at attempt %d: %s", where, delivery.attempts, error, extra=context)
        else:
            log.error("gave up on %s after %d attempts: %s", where, delivery.attempts, error, extra=context)
        return
    # A CRM that said how long to wait is not asked again sooner, whatever the backoff would allow.
    backoff = backoff_s(delivery.attempts, s.publish_min_backoff_s, s.publish_max_backoff_s)
    wait = max(backoff, attempt.retry_after_s or 0)
    delivery.next_attempt_at = at + timedelta(seconds=wait)
    done.failed += 1
    log.warning(
        "attempt %d of %d failed for %s: %s; next in %.0f s",
        delivery.attempts,
        s.publish_max_attempts,
        where,
        error,
        wait,
        extra=context,
    )


def _claim(session: Session, call_id: str | None, cutoff: datetime) -> Delivery | None:
    query = (
        select(Delivery)
        .join(OutboxEvent, Delivery.event_id == OutboxEvent.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= cutoff)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(1)
        # SKIP LOCKED: a row another worker is sending is passed over, not waited for and sent twice. Only the
        # delivery row is locked, so other subscribers' deliveries of the same event go on in parallel.
        # SQLite ignores the clause; it has one writer at a time anyway.
        .with_for_update(skip_locked=True, of=Delivery)
    )
    if call_id is not None:
        query = query.where(OutboxEvent.call_id == call_id)
    return session.scalars(query).first()


def _refused(exc: BaseException) -> bool:
    """Whether a connect error was the subscriber's host refusing the connection (httpx wraps the OS error)."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, ConnectionRefusedError):
        cause = cause.__cause__ or cause.__context__
    return cause is not None


def _send(http: httpx.Client, settings: Settings, delivery: Delivery, at: datetime) -> str | None:
    """POST the event; None when the subscriber took it, else a short reason."""
    event, subscriber = delivery.event, delivery.subscriber
    assert subscriber is not None
    envelope = Event(id=event.id, type=event.type, created_at=utc(event.created_at), data=event.payload)
    body = envelope.model_dump_json().encode("utf-8")
    timestamp = int(at.timestamp())
    try:
        secret = signing_secret(settings, subscriber)
    except SubscriberSecretError as exc:
        return str(exc)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_HEADER: event.type,
        EVENT_ID_HEADER: event.id,
    }
    timeout = settings.publish_timeout_s
    try:
        response = http.post(subscriber.url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.TimeoutException:
        return f"timed out after {timeout:g} s"
    except httpx.ConnectError as exc:
        return "connection refused" if _refused(exc) else f"could not connect: {exc}"
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        # Counted as a failed attempt like any other, so one broken row cannot stall the rounds behind it.
        return f"{type(exc).__name__}: {exc}"
    if response.is_success:
        return None
    if response.is_redirect:
        return f"HTTP {response.status_code} (redirects are not followed)"
    return f"HTTP {response.status_code}"
