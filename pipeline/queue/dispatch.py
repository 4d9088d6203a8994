"""Sending a call to its next stage: a message carries the call id only, never audio or results."""

import logging
from datetime import UTC, datetime

import dramatiq

from models import Stage
from pipeline.db import Call
from pipeline.runtime import Runtime
from pipeline.settings import Settings

log = logging.getLogger(__name__)
PUBLISH = "publish"


def queue_for(stage: Stage, settings: Settings) -> str:
    return "llm" if stage is Stage.analyze else settings.speech_queue


# Later stages first (RabbitMQ priorities; Redis ignores them): with a backlog, a call's diarization does not wait
# behind every other call's transcription, so calls finish one by one instead of all at the end.
STAGE_PRIORITY = {stage: index for index, stage in enumerate(Stage)}


def send_stage(runtime: Runtime, call_id: str, stage: Stage) -> None:
    """Queue a call's stage and note when, so the reconciler can tell a waiting call from a forgotten one."""
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=queue_for(stage, runtime.settings),
        actor_name=str(stage),
        args=(call_id,),
        kwargs={},
        options={"broker_priority": STAGE_PRIORITY[stage]},
    )
    runtime.broker.enqueue(message)
    with runtime.db.session() as session:
        row = session.get(Call, call_id)
        if row is not None and row.next_stage == stage:
            row.enqueued_at = datetime.now(UTC)
    log.info("queued %s on %s", stage, message.queue_name, extra={"call_id": call_id, "stage": str(stage)})


def send_publish(runtime: Runtime, call_id: str | None, *, delay_s: float | None = None) -> None:
    """Ask a publish worker to deliver a call's pending events (all due events when call_id is None)."""
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=PUBLISH, actor_name=PUBLISH, args=(call_id,), kwargs={}, options={}
    )
    runtime.broker.enqueue(message, delay=int(delay_s * 1000) if delay_s else None)
