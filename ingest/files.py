import logging
import uuid
from pathlib import Path

from sqlalchemy import select

from ingest.intake import link_directory, recording_key, sha256_of
from models import CallInfo, CallStatus, Stage
from models.errors import BadInput
from pipeline.db import Call, Recording
from pipeline.orphans import recording_recorded, writing_recording
from pipeline.runtime import Runtime

log = logging.getLogger(__name__)


class IngestError(BadInput, ValueError):
    """A recording that cannot be taken in at all (nothing is stored)."""


def ingest_file(path: Path, runtime: Runtime, info: CallInfo, options: dict[str, str]) -> str:
    """Store a local recording once per content and create a call queued for its first stage; returns the call id.

    A recording that exists but cannot be decoded is still stored: its call fails at the transcribe stage with the
    reason, so the original is never lost.
    """
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    if not path.is_file():
        raise IngestError(f"{path}: not a file")
    sha = sha256_of(path)
    key = recording_key(sha, path.name)
    call_id = uuid.uuid4().hex
    with runtime.db.session() as session:
        recording = session.scalar(select(Recording).where(Recording.sha256 == sha))
    written = None
    if recording is None or recording.purged_at is not None:
        # Retention may have deleted the audio of a recording still on record: store it again under its key.
        written = recording.storage_key if recording else key
        writing_recording(runtime, written)
        runtime.storage.put_file(written, path)
    with runtime.db.session() as session:
        if recording is not None:
            recording = session.merge(recording)
        if written is not None:
            recording_recorded(session, written)
        if recording is None:
            recording = Recording(sha256=sha, storage_key=key, original_name=path.name, size_bytes=path.stat().st_size)
            session.add(recording)
            session.flush()
        else:
            recording.purged_at = None
        rep_id, team_id, info = link_directory(session, info)
        session.add(
            Call(
                id=call_id,
                recording_id=recording.id,
                provider="file",
                external_id=None,
                rep_id=rep_id,
                team_id=team_id,
                status=CallStatus.queued,
                next_stage=Stage.transcribe,
                info=info.model_dump(mode="json"),
                options=options,
            )
        )
    log.info("stored %s as recording %s", path.name, recording.storage_key, extra={"call_id": call_id})
    return call_id
