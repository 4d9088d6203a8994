"""Operator actions on one call: run a stage again, or delete the call from every store. Used by the API and the CLI."""

import logging
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from models import CallStatus, Stage
from models.errors import BadInput
from pipeline.db import Call, Delivery, OutboxEvent, Recording
from pipeline.directory import check_document_ref
from pipeline.queue.dispatch import send_stage
from pipeline.runtime import Runtime
from pipeline.stages import output_key

log = logging.getLogger(__name__)

# The stored outputs each stage reads, as pipeline.stages loads them; speech stages also read the recording.
STAGE_INPUTS: dict[Stage, tuple[str, ...]] = {
    Stage.transcribe: (),
    Stage.diarize: ("transcript",),
    Stage.analyze: ("audio", "transcript", "conversation"),
}
READS_AUDIO = {Stage.transcribe, Stage.diarize}


class CallNotFound(BadInput, LookupError):
    def __init__(self, call_id: str) -> None:
        super().__init__(f"no call {call_id}")
        self.call_id = call_id


class RerunRefused(BadInput, RuntimeError):
    """The call cannot run this stage now; the message says why."""


@dataclass(frozen=True)
class Rerun:
    call_id: str
    stage: Stage
    queued: bool = True


@dataclass(frozen=True)
class Deleted:
    call_id: str
    objects: int
    recording_deleted: bool


def rerun_stage(
    runtime: Runtime, call_id: str, stage: Stage, script: str | None = None, fields: str | None = None
) -> Rerun:
    """Make `stage` the call's next stage and queue it; the stages before it keep their stored outputs, so
    re-scoring with a new script does not run speech recognition again.

    Raises CallNotFound, RerunRefused (the call is processing, or the stage's inputs are gone) and DirectoryError
    (a ValueError) for a script or field schema that is neither built in nor stored.
    """
    with runtime.db.session() as session:
        # Locked so a worker cannot pick the call up between the checks and the change.
        row = session.get(Call, call_id, with_for_update=True)
        if row is None:
            raise CallNotFound(call_id)
        if row.status == CallStatus.processing:
            raise RerunRefused(f"call {call_id} is being processed ({row.next_stage}); try again when it finishes")
        check_document_ref(session, "script", script)
        check_document_ref(session, "fields", fields)
        _check_inputs(runtime, row, stage)
        options = dict(row.options)
        options.update({key: value for key, value in {"script": script, "fields": fields}.items() if value})
        row.options = options
        row.next_stage = stage
        row.status = CallStatus.queued
        row.error = None
        row.enqueued_at = None
    log.info("rerun of %s requested", stage, extra={"call_id": call_id, "stage": str(stage)})
    try:
        send_stage(runtime, call_id, stage)
    except Exception as exc:
        # The call is marked due: the reconciler queues it once the broker is back.
        log.warning("queue unavailable, rerun left for the reconciler: %s", exc, extra={"call_id": call_id})
        return Rerun(call_id, stage, queued=False)
    return Rerun(call_id, stage)


def _check_inputs(runtime: Runtime, row: Call, stage: Stage) -> None:
    if stage in READS_AUDIO:
        recording = row.recording
        if recording.purged_at is not None:
            raise RerunRefused(
                f"call {row.id}: the audio was deleted by the retention policy on {recording.purged_at:%Y-%m-%d}, "
                f"so {stage} cannot run again"
            )
        if not runtime.storage.exists(recording.storage_key):
            raise RerunRefused(f"call {row.id}: the recording is missing from storage")
    missing = [name for name in STAGE_INPUTS[stage] if not runtime.storage.exists(output_key(row.id, name))]
    if missing:
        earlier = Stage.transcribe if "audio" in missing or "transcript" in missing else Stage.diarize
        raise RerunRefused(
            f"call {row.id}: {stage} needs the stored {', '.join(missing)} output, which is missing "
            f"(rerun from {earlier} instead, if the audio is still kept)"
        )


def delete_call(runtime: Runtime, call_id: str) -> Deleted:
    """Remove a call from every store: its stage outputs, its recording unless another call shares it, and its rows
    (stage runs, result, proposals, outbox events and their deliveries).

    Objects are deleted inside the database transaction, before it commits: if storage fails, the call is still
    there to delete again, never a row-less orphan in the bucket. Raises CallNotFound.
    """
    prefix = f"calls/{call_id}/"
    with runtime.db.session() as session:
        row = session.get(Call, call_id, with_for_update=True)
        if row is None:
            raise CallNotFound(call_id)
        # Locking the recording makes a concurrent intake of the same audio wait, then see it gone or see this
        # call's sibling and keep it.
        recording = session.get(Recording, row.recording_id, with_for_update=True)
        shared = session.scalar(
            select(func.count()).select_from(Call).where(Call.recording_id == row.recording_id, Call.id != call_id)
        )
        objects = _delete_prefix(runtime, prefix)
        events = select(OutboxEvent.id).where(OutboxEvent.call_id == call_id)
        session.execute(delete(Delivery).where(Delivery.event_id.in_(events)))
        session.execute(delete(OutboxEvent).where(OutboxEvent.call_id == call_id))
        session.delete(row)
        session.flush()
        recording_deleted = False
        if recording is not None and not shared:
            runtime.storage.delete(recording.storage_key)
            session.delete(recording)
            recording_deleted = True
    # Outputs a running stage wrote while the transaction was open (its own finish then finds the call gone).
    objects += _delete_prefix(runtime, prefix)
    log.info(
        "call deleted (%d objects, recording %s)",
        objects,
        "too" if recording_deleted else "kept",
        extra={"call_id": call_id},
    )
    return Deleted(call_id, objects, recording_deleted)


def _delete_prefix(runtime: Runtime, prefix: str) -> int:
    keys = list(runtime.storage.keys(prefix))
    for key in keys:
        runtime.storage.delete(key)
    return len(keys)
