"""The outbox: events written in the same transaction as the result they announce, and their deliveries."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.db.crm import CRMConnection
from pipeline.db.tables import Base, utcnow


class Subscriber(Base):
    """A URL that receives signed events, with its signing secret encrypted (`sealed_secret`).

    `secret` holds a plaintext secret only on rows written before secrets were encrypted; the publish worker seals
    such rows as soon as it runs with the secrets key, and then empties `secret`.
    """

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(1024), unique=True)
    secret: Mapped[str | None] = mapped_column(String(256), default=None)
    sealed_secret: Mapped[str | None] = mapped_column(Text, default=None)
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    call_id: Mapped[str | None] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One event on its way to one subscriber or one CRM connection: pending until delivered, dead after the last
    attempt fails or a CRM refuses it for good."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("event_id", "subscriber_id", name="uq_deliveries_event_subscriber"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"), index=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), default=None)
    crm_connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_connections.id", ondelete="CASCADE"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, default=None, doc="What a CRM kept: the deal, the values sent and any it did not keep."
    )

    event: Mapped[OutboxEvent] = relationship()
    subscriber: Mapped[Subscriber | None] = relationship()
    crm_connection: Mapped[CRMConnection | None] = relationship()
