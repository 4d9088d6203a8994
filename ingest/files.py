import hashlib
import logging
import uuid
from pathlib import Path

from sqlalchemy import select

from models import CallInfo, CallStatus, Stage
from pipeline.db import Call, Recording
from pipeline.runtime import Runtime

log = logging.getLogger(__name__)

SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".oga", ".m4a", ".mp4", ".aac", ".flac", ".webm", ".wma", ".amr"}


class IngestError(ValueError):
    """A recording that cannot be taken in at all (nothing is stored)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_file(path: Path, runtime: Runtime, info: CallInfo, options: dict[str, str]) -> str:
    """Store a local recording once per content and create a call queued for its first stage; returns the call id.

    A recording that exists but cannot be decoded is still stored: its call fails at the transcribe stage with the
    reason, so the original is never lost.
    """
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    if not path.is_file():
        raise IngestError(f"{path}: not a file")
    sha = _sha256(path)
    suffix = path.suffix.lower() if path.suffix.lower() in SUFFIXES else ".bin"
    key = f"recordings/{sha[:2]}/{sha}{suffix}"
    call_id = uuid.uuid4().hex
    with runtime.db.session() as session:
        recording = session.scalar(select(Recording).where(Recording.sha256 == sha))
        if recording is None:
            runtime.storage.put_file(key, path)
            recording = Recording(sha256=sha, storage_key=key, original_name=path.name, size_bytes=path.stat().st_size)
            session.add(recording)
            session.flush()
        session.add(
            Call(
                id=call_id,
                recording_id=recording.id,
                provider="file",
                external_id=None,
                status=CallStatus.queued,
                next_stage=Stage.transcribe,
                info=info.model_dump(mode="json"),
                options=options,
            )
        )
    log.info("stored %s as recording %s", path.name, recording.storage_key, extra={"call_id": call_id})
    return call_id
