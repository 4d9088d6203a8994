"""The scheduler process: the one home of scheduled work. It sends dramatiq messages on a timetable (deal sync and
risk passes, daily pipeline snapshots) and does none of the work itself, so it needs no models and little memory.

Safe to start on several machines: on PostgreSQL each scheduler first takes a session-level advisory lock, and only
the holder sends anything; the others wait and take over if it dies (the lock goes with its connection). On SQLite
(embedded mode, one machine) there is nothing to share, so no lock is taken.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Connection, text

from pipeline.runtime import Runtime
from services.deals.passes import RISKS_ACTOR, SYNC_ACTOR, send_deal_pass
from services.pipeline_review.snapshot_pass import SNAPSHOT_ACTOR

log = logging.getLogger(__name__)

SCHEDULER_LOCK = 7243012
LOCK_RETRY_S = 10.0


@dataclass(frozen=True)
class Timetable:
    deal_sync_every_s: float
    deal_risks_every_s: float
    # How often to look for a team whose daily pipeline snapshot is due; None: snapshots are not scheduled.
    snapshots_every_s: float | None = None


def jobs(runtime: Runtime, timetable: Timetable) -> list[tuple[str, float, Callable[[], None]]]:
    scheduled = [
        (SYNC_ACTOR, timetable.deal_sync_every_s, lambda: send_deal_pass(runtime, SYNC_ACTOR)),
        (RISKS_ACTOR, timetable.deal_risks_every_s, lambda: send_deal_pass(runtime, RISKS_ACTOR)),
    ]
    if timetable.snapshots_every_s is not None:
        scheduled.append((SNAPSHOT_ACTOR, timetable.snapshots_every_s, lambda: send_deal_pass(runtime, SNAPSHOT_ACTOR)))
    return scheduled


class SchedulerLock:
    """The deployment-wide scheduler lock, held on its own database connection for as long as the process runs."""

    def __init__(self, runtime: Runtime) -> None:
        self._engine = runtime.db.engine
        self._connection: Connection | None = None

    def try_take(self) -> bool:
        if self._engine.dialect.name != "postgresql":
            return True
        connection = self._engine.connect()
        taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK}).scalar())
        if taken:
            self._connection = connection
        else:
            connection.close()
        return taken

    def release(self) -> None:
        if self._connection is not None:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK})
            self._connection.close()
            self._connection = None


def run_scheduler(runtime: Runtime, timetable: Timetable, stop: threading.Event) -> None:
    """Wait for the lock, then send each pass on its interval (the first at once) until `stop` is set."""
    lock = SchedulerLock(runtime)
    while not lock.try_take():
        log.info("another scheduler holds the lock; waiting")
        if stop.wait(LOCK_RETRY_S):
            return
    scheduler = BlockingScheduler(timezone="UTC")
    for name, every_s, send in jobs(runtime, timetable):
        # One run at a time per job, and a run missed while the process was busy is sent once, not repeatedly.
        scheduler.add_job(
            send, "interval", seconds=every_s, id=name, next_run_time=datetime.now(UTC), coalesce=True, max_instances=1
        )
    threading.Thread(target=lambda: (stop.wait(), scheduler.shutdown(wait=False)), daemon=True).start()
    log.info("scheduler started", extra={"jobs": [name for name, _, _ in jobs(runtime, timetable)]})
    try:
        scheduler.start()
    finally:
        lock.release()
