"""The scheduled snapshot pass: every few minutes the scheduler sends it; it takes each team's daily snapshot once
the team's snapshot time has passed in the team's time zone (and a day missed while nothing ran, when it next runs).
Each team in its own transaction, so one team's failure leaves the others' snapshots taken."""

import logging
from datetime import UTC, date, datetime

import dramatiq
from sqlalchemy import select

from pipeline.db import Team
from pipeline.queue.dispatch import PUBLISH
from pipeline.runtime import Runtime
from services.pipeline_review.snapshots import RunCounts, due_day, take_snapshot

log = logging.getLogger(__name__)

SNAPSHOT_ACTOR = "pipeline_snapshots"


def snapshot_pass(runtime: Runtime, now: datetime | None = None, day: date | None = None) -> list[RunCounts]:
    """Each team's due snapshot (or, with `day`, that day's), then the one of deals without a team."""
    now = now or datetime.now(UTC)
    with runtime.db.session() as session:
        team_ids: list[int | None] = [*session.scalars(select(Team.id).order_by(Team.id)), None]
    done = []
    for team_id in team_ids:
        with runtime.db.session() as session:
            team = session.get(Team, team_id) if team_id is not None else None
            done.append(take_snapshot(session, team_id, day or due_day(team, now)))
    log.info(
        "snapshot pass",
        extra={
            "teams": len(team_ids),
            "taken": sum(not run.skipped for run in done),
            "changed": sum(r.changed for r in done),
        },
    )
    return done


def declare_snapshot_actor(broker: dramatiq.Broker, runtime: Runtime) -> dramatiq.Actor:
    def pipeline_snapshots() -> None:
        snapshot_pass(runtime)

    # No retries: the next pass, minutes later, takes whatever this one could not.
    return dramatiq.actor(actor_name=SNAPSHOT_ACTOR, queue_name=PUBLISH, broker=broker, max_retries=0)(
        pipeline_snapshots
    )
