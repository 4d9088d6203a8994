"""One dramatiq actor per stage, declared when a worker starts (dramatiq binds actors to a broker on declaration).

Retries follow the failure policy (models/errors.py): a stage that failed on bad input has already failed its
call and the message is done; anything else is raised to dramatiq, whose `retry_when` reads its type and sends
it again with backoff while retries are left.
"""

import logging
from collections.abc import Callable

import dramatiq
from dramatiq.middleware import CurrentMessage

from models import CallStatus, Stage
from models.errors import worth_retrying
from pipeline.db import Call
from pipeline.queue.dispatch import queue_for, send_publish, send_stage
from pipeline.runtime import Runtime
from pipeline.stages import NoSuchCall, StageFailed, StageNotDue, run_stage

log = logging.getLogger(__name__)


def _retries() -> int:
    message = CurrentMessage.get_current_message()
    return int(message.options.get("retries", 0)) if message is not None else 0


def handle_stage(runtime: Runtime, call_id: str, stage: Stage) -> None:
    """Run a stage from a message and send the call on. Raising hands the message back to dramatiq for a retry."""
    will_retry = _retries() < runtime.settings.stage_max_retries
    try:
        next_stage = run_stage(call_id, stage, runtime, will_retry=will_retry)
    except NoSuchCall:
        log.info("call no longer exists; message dropped", extra={"call_id": call_id, "stage": str(stage)})
        return
    except StageNotDue:
        _resend_if_forgotten(runtime, call_id)
        return
    except StageFailed as exc:
        if not (worth_retrying(exc) and will_retry):
            send_publish(runtime, call_id)
            return
        raise
    if next_stage is not None:
        send_stage(runtime, call_id, next_stage)
    else:
        send_publish(runtime, call_id)


def _resend_if_forgotten(runtime: Runtime, call_id: str) -> None:
    """A repeated message found the stage done; if the worker that did it died before queuing the next stage,
    queue it now (a duplicate at worst, which the stage's own check absorbs)."""
    with runtime.db.session() as session:
        row = session.get(Call, call_id)
        due = Stage(row.next_stage) if row and row.next_stage and row.status == CallStatus.queued else None
        forgotten = due is not None and row is not None and row.enqueued_at is None
    if forgotten and due is not None:
        send_stage(runtime, call_id, due)


def retry_when_worth_it(max_retries: int) -> Callable[[int, BaseException], bool]:
    """dramatiq's retry decision: by the failure's type, never for bad input, and only while retries are left."""

    def retry_when(retries: int, exc: BaseException) -> bool:
        return worth_retrying(exc) and retries < max_retries

    return retry_when


def declare_stage_actors(broker: dramatiq.Broker, runtime: Runtime) -> list[dramatiq.Actor]:
    s = runtime.settings
    actors = []
    for stage in Stage:
        limit_s = s.llm_time_limit_s if stage is Stage.analyze else s.speech_time_limit_s

        def run(call_id: str, stage: Stage = stage) -> None:
            handle_stage(runtime, call_id, stage)

        actors.append(
            dramatiq.actor(
                actor_name=str(stage),
                queue_name=queue_for(stage, s),
                broker=broker,
                # One more than ours: the last attempt marks the call failed instead of raising.
                retry_when=retry_when_worth_it(s.stage_max_retries + 1),
                min_backoff=int(s.stage_min_backoff_s * 1000),
                max_backoff=int(s.stage_max_backoff_s * 1000),
                time_limit=int(limit_s * 1000),
            )(run)
        )
    return actors
