"""Recordings written to storage that no row points at are found and deleted, so deletion and retention miss none.

Intake records a pending recording (its storage key) in the database before it writes the object, and removes
that row in the transaction that records the recording. If the database or the process goes down between the
two, the row stays behind. Once it is older than `orphan_grace_s` (far longer than any write takes), the sweep
looks again: an object some recording points at is kept and only the row goes; any other object is deleted.
The row is locked while the sweep decides, and intake refreshes it before every write, so an intake of the same
content under way is never undercut.
"""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pipeline.db import PendingRecording, Recording
from pipeline.runtime import Runtime

log = logging.getLogger(__name__)


def writing_recording(runtime: Runtime, key: str) -> None:
    """Note that the recording at `key` is about to be written (committed before the write starts)."""
    now = datetime.now(UTC)
    with runtime.db.session() as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(PendingRecording)
            .values(storage_key=key, started_at=now)
            .on_conflict_do_update(index_elements=["storage_key"], set_={"started_at": now})
        )


def recording_recorded(session: Session, key: str) -> None:
    """The recording at `key` has its row (in the caller's transaction): it is no longer pending."""
    session.execute(delete(PendingRecording).where(PendingRecording.storage_key == key))


def remove_orphans(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Delete objects written longer than the grace period ago that no recording points at; returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=runtime.settings.orphan_grace_s)
    with runtime.db.session() as session:
        keys = session.scalars(select(PendingRecording.storage_key).where(PendingRecording.started_at < cutoff)).all()
    removed = 0
    for key in keys:
        with runtime.db.session() as session:
            pending = session.scalar(
                select(PendingRecording)
                .where(PendingRecording.storage_key == key, PendingRecording.started_at < cutoff)
                .with_for_update()
            )
            if pending is None:
                continue  # recorded, or written again since
            held = session.scalar(
                select(Recording.id).where(Recording.storage_key == key, Recording.purged_at.is_(None))
            )
            if held is None:
                runtime.storage.delete(key)
                removed += 1
                log.warning("deleted recording %s: written at %s, no call points at it", key, pending.started_at)
            session.delete(pending)
    return removed
