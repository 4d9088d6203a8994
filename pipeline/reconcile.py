"""The safety net under the queue: calls whose message was lost, and deliveries nobody is retrying, are re-sent.

Correctness never depends on a message arriving: a call marked due but not queued (the broker was down at
ingest), or stuck mid-stage past its time limit (its worker died and the message was dropped), is queued again.
Recordings written with no row pointing at them are deleted after a grace period (pipeline/orphans.py).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select

from models import CallStatus, Stage
from pipeline.db import Call, Delivery, OutboxEvent
from pipeline.orphans import remove_orphans
from pipeline.queue.dispatch import send_publish, send_stage
from pipeline.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Reconciled:
    calls_requeued: int = 0
    publishes_requeued: int = 0
    orphans_removed: int = 0


def reconcile(runtime: Runtime, *, now: datetime | None = None) -> Reconciled:
    s = runtime.settings
    now = now or datetime.now(UTC)
    waited = now - timedelta(seconds=s.reconcile_after_s)
    longest_stage = max(s.speech_time_limit_s, s.llm_time_limit_s)
    stuck = now - timedelta(seconds=s.reconcile_after_s + longest_stage)
    found = Reconciled()
    with runtime.db.session() as session:
        due = session.execute(
            select(Call.id, Call.next_stage).where(
                Call.next_stage.is_not(None),
                or_(
                    and_(Call.status == CallStatus.queued, or_(Call.enqueued_at.is_(None), Call.enqueued_at < waited)),
                    and_(Call.status == CallStatus.processing, Call.updated_at < stuck),
                ),
                # A call queued a moment ago by ingest is about to get its message: leave it alone.
                Call.updated_at < now - timedelta(seconds=60),
            )
        ).all()
        undelivered = session.scalars(
            select(OutboxEvent.call_id)
            .join(Delivery, Delivery.event_id == OutboxEvent.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at < waited)
            .distinct()
        ).all()
    for call_id, stage in due:
        assert stage is not None  # the query keeps only calls with a next stage
        send_stage(runtime, call_id, Stage(stage))
        found.calls_requeued += 1
    for event_call_id in undelivered:
        send_publish(runtime, event_call_id)
        found.publishes_requeued += 1
    found.orphans_removed = remove_orphans(runtime, now=now)
    if found.calls_requeued or found.publishes_requeued:
        log.info("reconciled: %d calls and %d deliveries requeued", found.calls_requeued, found.publishes_requeued)
    return found
