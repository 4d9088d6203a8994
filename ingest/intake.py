"""Taking in an announced call: store its recording once, create the call linked to its rep and team, queue it.

Deduplication is by the provider's call id and by content hash (calls.content_sha256), both enforced by unique
constraints, so concurrent announcements of the same call or the same audio store one recording and queue one job.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ingest.providers.base import RejectedRequest
from ingest.spool import spool_folder
from models import CallInfo, CallStatus, IncomingCall, Stage
from models.errors import Unavailable
from pipeline.db import Call, Recording, Team
from pipeline.directory import find_rep
from pipeline.orphans import recording_recorded, writing_recording
from pipeline.queue.dispatch import send_stage
from pipeline.runtime import Runtime
from pipeline.storage import NoSuchObject, StorageError

log = logging.getLogger(__name__)

SUFFIXES = {".wav", ".mp3", ".ogg", ".opus", ".oga", ".m4a", ".mp4", ".aac", ".flac", ".webm", ".wma", ".amr"}


@dataclass(frozen=True)
class Intake:
    call_id: str
    duplicate: bool


class IntakeUnavailable(Unavailable, RuntimeError):
    """Storage or the database is down: nothing was kept, the sender should try again later.
    `kind` ("storage" or "database") is all a sender is told: the detail may name internal hosts."""

    def __init__(self, kind: str, detail: object) -> None:
        super().__init__(f"{kind} unavailable: {detail}")
        self.kind = kind


class IntakeRejected(RejectedRequest, ValueError):
    """The recording itself is unusable (empty, or no such object in the bucket): the sender gets a 422."""

    def __init__(self, reason: str) -> None:
        super().__init__(422, reason)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def recording_key(sha: str, name: str) -> str:
    suffix = Path(name).suffix.lower()
    return f"recordings/{sha[:2]}/{sha}{suffix if suffix in SUFFIXES else '.bin'}"


def link_directory(session: Session, info: CallInfo) -> tuple[int | None, int | None, CallInfo]:
    """The call's rep (by extension, then by phone) and team, with their names filled into the call's details."""
    rep = find_rep(session, extension=info.rep_extension, phones=(info.to_number, info.from_number))
    team = session.get(Team, rep.team_id) if rep and rep.team_id else None
    if team is None and info.team:
        team = session.scalar(select(Team).where(Team.name == info.team))
    updates: dict[str, object] = {}
    if rep is not None:
        updates |= {"rep_id": info.rep_id or str(rep.id), "rep_name": info.rep_name or rep.name}
    if team is not None:
        updates |= {"team": team.name, "timezone": info.timezone or team.timezone}
    return (rep.id if rep else None), (team.id if team else None), info.model_copy(update=updates)


def find_existing(incoming: IncomingCall, runtime: Runtime) -> str | None:
    """The call already taken in under this provider's call id, if any (checked before downloading)."""
    if incoming.external_id is None:
        return None
    try:
        with runtime.db.session() as session:
            return session.scalar(
                select(Call.id).where(Call.provider == incoming.provider, Call.external_id == incoming.external_id)
            )
    except OperationalError as exc:
        raise IntakeUnavailable("database", exc.orig) from exc


def _existing(session: Session, incoming: IncomingCall, sha: str) -> str | None:
    if incoming.external_id is not None:
        found = session.scalar(
            select(Call.id).where(Call.provider == incoming.provider, Call.external_id == incoming.external_id)
        )
        if found:
            return found
    # Audio deleted by retention is taken in again as a new call: the old call no longer has it.
    return session.scalar(
        select(Call.id)
        .join(Recording)
        .where(Recording.sha256 == sha, Recording.purged_at.is_(None))
        .order_by(Call.created_at)
        .limit(1)
    )


def take_in(incoming: IncomingCall, path: Path, runtime: Runtime, *, name: str | None = None) -> Intake:
    """Store the recording at `path` (once per content) and queue a new call, or name the call it duplicates."""
    size = path.stat().st_size
    if size == 0:
        raise IntakeRejected("the recording is empty (0 bytes)")
    sha = sha256_of(path)
    name = name or Path(incoming.object_key or incoming.recording_url or path.name).name
    key = recording_key(sha, name)
    try:
        with runtime.db.session() as session:
            existing = _existing(session, incoming, sha)
            stored = session.scalar(select(Recording).where(Recording.sha256 == sha))
        if existing:
            return Intake(existing, duplicate=True)
        written = None
        if stored is None or stored.purged_at is not None:
            written = stored.storage_key if stored else key
            # Noted first: if the database goes down before the recording's row is in, the sweep finds the object.
            writing_recording(runtime, written)
            runtime.storage.put_file(written, path)
        call_id = uuid.uuid4().hex
        with runtime.db.session() as session:
            if stored is None:
                recording = Recording(sha256=sha, storage_key=key, original_name=name[:512], size_bytes=size)
                session.add(recording)
                session.flush()
            else:
                recording = session.merge(stored)
                recording.purged_at = None
            rep_id, team_id, info = link_directory(session, incoming.info)
            session.add(
                Call(
                    id=call_id,
                    recording_id=recording.id,
                    provider=incoming.provider,
                    external_id=incoming.external_id,
                    content_sha256=sha,
                    rep_id=rep_id,
                    team_id=team_id,
                    status=CallStatus.queued,
                    next_stage=Stage.transcribe,
                    info=info.model_dump(mode="json"),
                    options={},
                )
            )
            if written is not None:
                recording_recorded(session, written)
    except IntegrityError:
        # Another request took in the same call or the same audio at the same moment (the unique constraints on
        # the provider's call id and on content decide): it won, this is a duplicate. An object written here that
        # no row took up is left to the orphan sweep, which checks first that no intake of it is under way.
        with runtime.db.session() as session:
            existing = _existing(session, incoming, sha)
        if existing is None:
            raise
        return Intake(existing, duplicate=True)
    except StorageError as exc:
        raise IntakeUnavailable("storage", exc) from exc
    except OperationalError as exc:
        raise IntakeUnavailable("database", exc.orig) from exc
    log.info("took in %s call %s", incoming.provider, incoming.external_id or "-", extra={"call_id": call_id})
    try:
        send_stage(runtime, call_id, Stage.transcribe)
    except Exception as exc:
        # The call is stored and marked due: the reconciler queues it once the broker is back.
        log.warning("queue unavailable, call left for the reconciler: %s", exc, extra={"call_id": call_id})
    return Intake(call_id, duplicate=False)


def take_in_object(incoming: IncomingCall, runtime: Runtime) -> Intake:
    """Take in a recording that already sits in a bucket on the storage server (an S3/MinIO event)."""
    if incoming.bucket is None or incoming.object_key is None:
        raise IntakeRejected("the event names no bucket and object key")
    existing = find_existing(incoming, runtime)
    if existing:
        return Intake(existing, duplicate=True)
    download = getattr(runtime.storage, "download", None)
    if download is None:
        raise IntakeRejected("bucket events need S3 storage (CALLINTEL_STORAGE=s3)")
    with spool_folder(runtime.settings) as folder:
        path = folder / (Path(incoming.object_key).name or "recording")
        try:
            download(incoming.bucket, incoming.object_key, path)
        except NoSuchObject as exc:
            raise IntakeRejected(f"{incoming.bucket}/{incoming.object_key}: no such object") from exc
        except StorageError as exc:
            raise IntakeUnavailable("storage", exc) from exc
        return take_in(incoming, path, runtime)
