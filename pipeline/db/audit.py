"""The access audit log: who signed in, opened, played, exported, changed or deleted what, chained by hash."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from pipeline.db.accounts import User
from pipeline.db.tables import Base, utcnow

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key for appends; any constant no other lock in the project uses.
_APPEND_LOCK = 7243021


class AuditEntry(Base):
    """One audited action. Rows are only ever added: the database refuses UPDATE and DELETE on this table.

    `entry_hash` is the SHA-256 of the previous entry's hash followed by this entry's canonical JSON, so an edited,
    removed or reordered row breaks the chain from that row on (`callintel audit verify`).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_id_at", "actor_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # No foreign key: a user's removal must not rewrite the log (and the table refuses updates).
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor: Mapped[str] = mapped_column(String(256), default="", doc="The actor's login when the entry was made.")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512), default="", index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


def _moment(at: datetime) -> str:
    # SQLite hands timestamps back naive; both databases keep microseconds.
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(entry: AuditEntry) -> str:
    """The entry's content as hashed: sorted keys, no spaces, UTF-8 text as is."""
    content = {
        "at": _moment(entry.at),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
        "ip": entry.ip,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical_json(entry)).encode()).hexdigest()


def append(
    session: Session, *, actor_id: int | None, action: str, target: str, detail: dict[str, object], ip: str | None
) -> AuditEntry:
    """Add one entry to the chain in the caller's transaction (`services.audit.record` is the checked way in).

    On PostgreSQL the advisory lock, held to the end of the transaction, makes concurrent appends take turns, so
    each reads the hash that the previous commit left.
    """
    # A JSON round trip stores exactly what is hashed (tuples become lists, anything else its text).
    stored_detail = json.loads(json.dumps(detail, default=str))
    actor = session.scalar(select(User.login).where(User.id == actor_id)) if actor_id is not None else None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    last = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=datetime.now(UTC),
        actor_id=actor_id,
        actor=actor or "",
        action=action,
        target=target[:512],
        detail=stored_detail,
        ip=ip[:64] if ip else None,
        prev_hash=last or GENESIS_HASH,
    )
    entry.entry_hash = chain_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry
