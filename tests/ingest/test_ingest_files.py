"""Embedded mode takes in a local file the way the service does: a recording whose audio retention deleted is
stored again when the same file is processed later, so the new call has its audio (before, its transcribe stage
found no object)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from ingest.files import ingest_file
from models import CallInfo
from pipeline.db import Call, Recording
from pipeline.retention import purge_expired
from tests.support.web_users import embedded_runtime

WAV = Path(__file__).resolve().parents[1] / "data" / "pisets_test_sound_ru.wav"


def test_a_purged_recording_processed_again_is_stored_again(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path, retention_days=30)
    first = ingest_file(WAV, runtime, CallInfo(), {})
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with runtime.db.session() as session:
        session.execute(update(Call).where(Call.id == first).values(created_at=long_ago))
        session.execute(update(Recording).values(created_at=long_ago))
    assert purge_expired(runtime).recordings == 1
    with runtime.db.session() as session:
        recording = session.scalar(select(Recording))
        key, purged_at = recording.storage_key, recording.purged_at
    assert purged_at is not None and not runtime.storage.exists(key)

    second = ingest_file(WAV, runtime, CallInfo(), {})

    with runtime.db.session() as session:
        recordings = session.scalars(select(Recording)).all()
        recording_of = dict(session.execute(select(Call.id, Call.recording_id)).all())
    assert len(recordings) == 1 and recordings[0].purged_at is None
    assert recording_of[second] == recording_of[first] == recordings[0].id
    assert runtime.storage.get_bytes(key) == WAV.read_bytes()
