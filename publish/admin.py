"""What the API and the CLI do with subscribers and deliveries: list them, add and remove, retry a dead one."""

from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.db import Delivery, OutboxEvent, Subscriber
from pipeline.queue.dispatch import send_publish
from pipeline.runtime import Runtime
from publish.delivery import utc
from publish.secrets import SubscriberSecretError, seal_secret, shown_url

EVENT_TYPES = (
    "call.processed",
    "call.failed",
    "crm.fields.approved",
    "deal.at_risk",
    "comment.mention",
    "snippet.created",
)

DeliveryStatus = Literal["pending", "delivered", "dead"]


class DeliveryView(BaseModel):
    id: int
    event_id: str
    event_type: str
    call_id: str | None
    subscriber_url: str | None = Field(
        description="The subscriber's URL without any user name or password in it; None for a delivery to a CRM."
    )
    crm: str | None = Field(default=None, description="For a delivery to a CRM: its kind and connection id.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    result: dict[str, Any] | None = Field(
        default=None,
        description="For a CRM write: the deal, the values sent, `mismatches` (fields the CRM did not keep) and `ok`.",
    )


class SubscriberView(BaseModel):
    """A subscriber as shown to an operator: never its secret, nor credentials in its URL."""

    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime


def _view(delivery: Delivery) -> DeliveryView:
    crm = delivery.crm_connection
    return DeliveryView(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event.type,
        call_id=delivery.event.call_id,
        subscriber_url=shown_url(delivery.subscriber.url) if delivery.subscriber else None,
        crm=f"{crm.kind} connection {crm.id}" if crm else None,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=utc(delivery.next_attempt_at),
        last_error=delivery.last_error,
        delivered_at=utc(delivery.delivered_at) if delivery.delivered_at else None,
        result=delivery.result,
    )


def list_deliveries(
    runtime: Runtime, *, status: DeliveryStatus | None = None, call_id: str | None = None, limit: int = 100
) -> list[DeliveryView]:
    """Newest first."""
    query = select(Delivery).join(OutboxEvent, Delivery.event_id == OutboxEvent.id).order_by(Delivery.id.desc())
    if status is not None:
        query = query.where(Delivery.status == status)
    if call_id is not None:
        query = query.where(OutboxEvent.call_id == call_id)
    with runtime.db.session() as session:
        return [_view(d) for d in session.scalars(query.limit(limit))]


def retry_delivery(runtime: Runtime, delivery_id: int) -> DeliveryView | None:
    """Make a dead or pending delivery due now with a fresh set of attempts, and ask a worker to send it.

    None when there is no such delivery; a delivered one is returned unchanged. Raises ValueError when its
    subscriber has been removed.
    """
    with runtime.db.session() as session:
        # Waits for a worker that is sending this very row, so the retry sees how that attempt ended.
        delivery = session.get(Delivery, delivery_id, with_for_update=True)
        if delivery is None:
            return None
        if delivery.status == "delivered":
            return _view(delivery)
        if delivery.subscriber is not None and not delivery.subscriber.active:
            raise ValueError(f"delivery {delivery_id}: subscriber {shown_url(delivery.subscriber.url)} was removed")
        if delivery.crm_connection is not None and not delivery.crm_connection.enabled:
            raise ValueError(f"delivery {delivery_id}: its CRM connection was removed")
        delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, datetime.now(UTC)
        view = _view(delivery)
    send_publish(runtime, view.call_id)
    return view


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"subscriber URL {url!r} is not valid: {exc}") from None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"subscriber URL must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"subscriber URL has no host: {url!r}")
    return url


def _check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(unknown)}; expected some of {', '.join(EVENT_TYPES)}")
    return sorted(set(events))


def add_subscriber(runtime: Runtime, url: str, secret: str, events: list[str]) -> int:
    """Subscribe a URL to the given event types (none: all of them); returns its id.

    A removed subscriber's URL is subscribed again under its old id, with the new secret and events.
    """
    url, events = _check_url(url), _check_events(events)
    if not secret:
        raise ValueError("subscriber secret must not be empty: it is the key subscribers check signatures with")
    try:
        sealed = seal_secret(runtime.settings, secret)
    except SubscriberSecretError as exc:
        raise ValueError(str(exc)) from None
    with runtime.db.session() as session:
        subscriber = session.scalars(select(Subscriber).where(Subscriber.url == url)).first()
        if subscriber is None:
            subscriber = Subscriber(url=url, sealed_secret=sealed, events=events, active=True)
            session.add(subscriber)
        elif subscriber.active:
            raise ValueError(f"{shown_url(url)} is already subscribed (subscriber {subscriber.id})")
        else:
            subscriber.secret, subscriber.sealed_secret = None, sealed
            subscriber.events, subscriber.active = events, True
        session.flush()
        return subscriber.id


def list_subscribers(runtime: Runtime) -> list[SubscriberView]:
    """Every subscriber, removed ones included (marked inactive)."""
    with runtime.db.session() as session:
        return [
            SubscriberView(
                id=s.id, url=shown_url(s.url), events=s.events, active=s.active, created_at=utc(s.created_at)
            )
            for s in session.scalars(select(Subscriber).order_by(Subscriber.id))
        ]


def _find(session: Session, id_or_url: int | str) -> Subscriber | None:
    if isinstance(id_or_url, int) or id_or_url.isdigit():
        return session.get(Subscriber, int(id_or_url))
    return session.scalars(select(Subscriber).where(Subscriber.url == id_or_url.strip())).first()


def remove_subscriber(runtime: Runtime, id_or_url: int | str) -> bool:
    """Stop sending to a subscriber, keeping it and its deliveries as history; False when no active one matched.

    Its pending deliveries become dead, so they show as undelivered instead of waiting on nobody.
    """
    with runtime.db.session() as session:
        subscriber = _find(session, id_or_url)
        if subscriber is None or not subscriber.active:
            return False
        subscriber.active = False
        session.execute(
            update(Delivery)
            .where(Delivery.subscriber_id == subscriber.id, Delivery.status == "pending")
            .values(status="dead", last_error="subscriber removed")
        )
        return True
