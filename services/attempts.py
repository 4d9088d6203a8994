"""Sign-in attempt limits that hold under concurrency.

Each try reserves an attempt with one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) before the
password or code is checked: the database orders concurrent reservations on the counter's row, so of any number of
simultaneous guesses at most `limit` get checked. The counter window is fixed from its first attempt; a success
clears the key. Works the same on PostgreSQL and SQLite.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pipeline.db import AttemptCounter


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reserve(session: Session, key: str, limit: int, window: timedelta) -> int | None:
    """Count one attempt for `key`; None when it may go ahead, else the seconds until the window ends.

    Commit the session before checking the secret, so that other requests see the reservation.
    """
    now = datetime.now(UTC)
    expired = AttemptCounter.window_start < now - window
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(AttemptCounter)
        .values(key=key[:320], window_start=now, attempts=1)
        .on_conflict_do_update(
            index_elements=[AttemptCounter.key],
            set_={
                "attempts": case((expired, 1), else_=AttemptCounter.attempts + 1),
                "window_start": case((expired, now), else_=AttemptCounter.window_start),
            },
        )
        .returning(AttemptCounter.attempts, AttemptCounter.window_start)
    )
    attempts, window_start = session.execute(statement).one()
    if attempts <= limit:
        return None
    return max(1, int((_aware(window_start) + window - now).total_seconds()))


def clear(session: Session, key: str) -> None:
    """Forget `key`'s attempts after a success."""
    session.execute(delete(AttemptCounter).where(AttemptCounter.key == key[:320]))


def sweep(session: Session, window: timedelta) -> None:
    """Forget every counter whose window has ended (done on successful sign-ins rather than by a timer)."""
    session.execute(delete(AttemptCounter).where(AttemptCounter.window_start < datetime.now(UTC) - window))


def release(session: Session, key: str) -> None:
    """Give back one reserved attempt (a success that should not count against a shared key such as an address)."""
    session.execute(
        update(AttemptCounter)
        .where(AttemptCounter.key == key[:320], AttemptCounter.attempts > 0)
        .values(attempts=AttemptCounter.attempts - 1)
    )
