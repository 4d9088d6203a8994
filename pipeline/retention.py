"""Retention: raw audio and transcripts are deleted once a call is older than settings.retention_days.

What is kept: the call's rows (status, timeline, score, proposals), the analysis (summary, scorecard, proposals),
the audio's description (`audio.json`), and `result.json` with the transcript's words and the conversation's
utterances emptied, so the result stays a valid CallResult that reports what was found without the words said.

A recording is deleted only when every call using it has expired, and is then marked purged (Recording.purged_at),
which is also what lets the next run skip its calls; the calls' playable copies (pipeline/playback.py) go with it.
A call in the middle of a stage is left for a later run, so the stage cannot write back what was just deleted.
Running it again changes nothing.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, or_, select, update

from models import CallResult, CallStatus
from pipeline.db import Call, Recording
from pipeline.db.audit import append
from pipeline.playback import playback_key
from pipeline.runtime import Runtime
from pipeline.stages import output_key

log = logging.getLogger(__name__)

DELETED_OUTPUTS = ("transcript", "conversation")


@dataclass
class Purged:
    recordings: int = 0
    transcripts: int = 0

    def __str__(self) -> str:
        return f"deleted {self.recordings} recording(s) and the transcripts of {self.transcripts} call(s)"


def purge_expired(runtime: Runtime, *, now: datetime | None = None) -> Purged:
    """Delete the audio and transcripts of calls created more than retention_days ago; nothing when unset."""
    days = runtime.settings.retention_days
    purged = Purged()
    if days is None:
        return purged
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    with runtime.db.session() as session:
        recording_ids = session.scalars(
            select(Recording.id)
            .where(
                Recording.purged_at.is_(None),
                Recording.created_at < cutoff,
                ~exists().where(_keeps(Recording.id, cutoff)),
            )
            .order_by(Recording.id)
        ).all()
    for recording_id in recording_ids:
        transcripts = _purge_recording(runtime, recording_id, cutoff)
        if transcripts is not None:
            purged.recordings += 1
            purged.transcripts += transcripts
    # Expired calls whose recording another, newer call still keeps.
    with runtime.db.session() as session:
        call_ids = session.scalars(
            select(Call.id)
            .join(Recording)
            .where(Call.created_at < cutoff, Call.status != CallStatus.processing, Recording.purged_at.is_(None))
            .order_by(Call.created_at)
        ).all()
    purged.transcripts += sum(_purge_transcripts(runtime, call_id) for call_id in call_ids)
    if purged.recordings or purged.transcripts:
        log.info("retention: %s", purged)
    return purged


def _keeps(recording_id: SQLColumnExpression[int] | int, cutoff: datetime) -> ColumnElement[bool]:
    """A call that keeps the recording: still within retention, or mid-stage."""
    return and_(Call.recording_id == recording_id, or_(Call.created_at >= cutoff, Call.status == CallStatus.processing))


def _purge_recording(runtime: Runtime, recording_id: int, cutoff: datetime) -> int | None:
    """Delete a recording and its calls' transcripts; the number of calls whose transcripts went, or None when
    the recording turned out to be kept."""
    with runtime.db.session() as session:
        # Locked and checked again: a call taken in since the query would keep it.
        recording = session.get(Recording, recording_id, with_for_update=True)
        if (
            recording is None
            or recording.purged_at is not None
            or session.scalar(select(exists().where(_keeps(recording_id, cutoff))))
        ):
            return None
        call_ids = session.scalars(select(Call.id).where(Call.recording_id == recording_id)).all()
        transcripts = sum(_purge_transcripts(runtime, call_id) for call_id in call_ids)
        for call_id in call_ids:
            runtime.storage.delete(playback_key(call_id))
        runtime.storage.delete(recording.storage_key)
        recording.purged_at = datetime.now(UTC)
        for call_id in call_ids:
            append(
                session,
                actor_id=None,
                action="call.purged",
                target=f"call:{call_id}",
                detail={"by": "retention"},
                ip=None,
            )
        # Its calls no longer hold the audio: the same audio may come in again as a new call.
        session.execute(update(Call).where(Call.recording_id == recording_id).values(content_sha256=None))
    return transcripts


def _purge_transcripts(runtime: Runtime, call_id: str) -> bool:
    """Delete a call's transcript and conversation, and strip their words from its result; True if anything changed."""
    storage = runtime.storage
    changed = False
    for name in DELETED_OUTPUTS:
        key = output_key(call_id, name)
        if storage.exists(key):
            storage.delete(key)
            changed = True
    key = output_key(call_id, "result")
    if storage.exists(key):
        result = CallResult.model_validate_json(storage.get_bytes(key))
        if result.purged_at is None:
            stripped = result.model_copy(
                update={
                    "transcript": result.transcript.model_copy(update={"words": []}),
                    "conversation": result.conversation.model_copy(update={"utterances": []}),
                    "purged_at": datetime.now(UTC),
                }
            )
            storage.put_bytes(key, stripped.model_dump_json(indent=1).encode())
            changed = True
    return changed
