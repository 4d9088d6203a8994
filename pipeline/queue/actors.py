"""One dramatiq actor per stage, declared when a worker starts (dramatiq binds actors to a broker on declaration).

Retries follow the failure policy (models/errors.py): a stage that failed on bad input has already failed its
call and the message is done; anything else is raised to dramatiq, whose `retry_when` reads its type and sends
it again with backoff while retries are left. There are enough retries for their backoff to span
`stage_retry_for_s`, so an outage of the database or storage shorter than that loses no call. When they run out
with the failure still unrecorded (the database was down at the last try too), dramatiq hands the message to the
stage's give-up actor, which fails the call with the reason and sends its call.failed event once it can.
"""

import logging
import re
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from models import CallStatus, Stage
from models.errors import worth_retrying
from pipeline.db import Call
from pipeline.queue.dispatch import queue_for, send_publish, send_stage
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.stages import NoSuchCall, StageFailed, StageNotDue, give_up, run_stage

log = logging.getLogger(__name__)

# Failing a call is one small write, retried until the database answers: about three days at the default backoff.
GAVE_UP_RETRIES = 1000


def _retries() -> int:
    message = CurrentMessage.get_current_message()
    return int(message.options.get("retries", 0)) if message is not None else 0


def stage_retries(settings: Settings) -> int:
    """Retries of a stage after a passing fault: at least stage_max_retries, and enough for the backoff between
    them to span stage_retry_for_s (dramatiq waits between half and all of min_backoff * 2**n, up to max_backoff)."""
    retries, spanned = 0, 0.0
    while retries < settings.stage_max_retries or spanned < settings.stage_retry_for_s:
        # The exponent is capped where the wait has long reached max_backoff, so it stays a float.
        spanned += min(settings.stage_min_backoff_s * 2 ** min(retries, 60), settings.stage_max_backoff_s) / 2
        retries += 1
    return retries


def handle_stage(runtime: Runtime, call_id: str, stage: Stage) -> None:
    """Run a stage from a message and send the call on. Raising hands the message back to dramatiq for a retry."""
    will_retry = _retries() < stage_retries(runtime.settings)
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


def handle_gave_up(runtime: Runtime, message: dict[str, Any]) -> None:
    """A stage's message ran out of retries: fail its call with the last error, unless it was recorded already."""
    call_id, stage = message["args"][0], Stage(message["actor_name"])
    options = message.get("options", {})
    # The traceback's last "module.ErrorName: message" line is the error the last try raised.
    errors = re.findall(r"^[\w.]*?(\w+): (.+)$", str(options.get("traceback") or ""), re.MULTILINE)
    last = f"{errors[-1][0]}: {errors[-1][1]}" if errors else "unknown error"
    reason = f"gave up after {options.get('retries', 0)} retries: {last}"[:1000]
    if give_up(call_id, stage, reason, runtime):
        send_publish(runtime, call_id)


def gave_up_actor_name(stage: Stage) -> str:
    return f"{stage}.gave_up"


def retry_when_worth_it(max_retries: int) -> Callable[[int, BaseException], bool]:
    """dramatiq's retry decision: by the failure's type, never for bad input, and only while retries are left."""

    def retry_when(retries: int, exc: BaseException) -> bool:
        return worth_retrying(exc) and retries < max_retries

    return retry_when


def declare_stage_actors(broker: dramatiq.Broker, runtime: Runtime) -> list[dramatiq.Actor[Any, Any]]:
    s = runtime.settings
    retries = stage_retries(s)
    backoff: dict[str, Any] = {
        "min_backoff": int(s.stage_min_backoff_s * 1000),
        "max_backoff": int(s.stage_max_backoff_s * 1000),
    }
    actors: list[dramatiq.Actor[Any, Any]] = []
    for stage in Stage:
        limit_s = s.llm_time_limit_s if stage is Stage.analyze else s.speech_time_limit_s

        def run(call_id: str, stage: Stage = stage) -> None:
            handle_stage(runtime, call_id, stage)

        def gave_up(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
            handle_gave_up(runtime, message)

        # On the stage's own queue, so the workers that run the stage are the ones that fail it.
        actors.append(
            dramatiq.actor(
                actor_name=gave_up_actor_name(stage),
                queue_name=queue_for(stage, s),
                broker=broker,
                retry_when=retry_when_worth_it(GAVE_UP_RETRIES),
                **backoff,
            )(gave_up)
        )
        actors.append(
            dramatiq.actor(
                actor_name=str(stage),
                queue_name=queue_for(stage, s),
                broker=broker,
                # One more than ours: the last attempt marks the call failed instead of raising.
                retry_when=retry_when_worth_it(retries + 1),
                on_retry_exhausted=gave_up_actor_name(stage),
                time_limit=int(limit_s * 1000),
                **backoff,
            )(run)
        )
    return actors
