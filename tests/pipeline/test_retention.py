"""Retention on real servers: old calls lose their audio and transcripts, keep their analysis; newer ones keep all."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import CallResult, CallStatus, Stage
from pipeline.db import Call, Recording
from pipeline.retention import Purged, purge_expired
from pipeline.runtime import Runtime
from pipeline.stages import output_key
from services.calls_admin import RerunRefused, rerun_stage
from tests.support.servers import Isolated
from tests.support.stored_calls import add_call, store_recording, stub_runtime


@pytest.fixture
def runtime(isolated: Isolated) -> Runtime:
    return stub_runtime(isolated.settings.model_copy(update={"retention_days": 30}))


def _recording(runtime: Runtime, call_id: str) -> Recording:
    with runtime.db.session() as session:
        recording = session.scalar(select(Recording).join(Call).where(Call.id == call_id))
    assert recording is not None
    return recording


def _snapshot(runtime: Runtime) -> dict[str, bytes]:
    return {key: runtime.storage.get_bytes(key) for key in runtime.storage.keys("")}


def test_old_calls_lose_audio_and_transcripts_and_keep_their_analysis(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    old = add_call(runtime, created_at=now - timedelta(days=31))
    new = add_call(runtime, created_at=now - timedelta(days=29))
    new_objects = {key: runtime.storage.get_bytes(key) for key in runtime.storage.keys(f"calls/{new}/")}
    new_audio = _recording(runtime, new).storage_key

    purged = purge_expired(runtime, now=now)

    assert purged == Purged(recordings=1, transcripts=1)
    recording = _recording(runtime, old)
    assert recording.purged_at is not None and not runtime.storage.exists(recording.storage_key)
    assert not runtime.storage.exists(output_key(old, "transcript"))
    assert not runtime.storage.exists(output_key(old, "conversation"))
    result = CallResult.model_validate_json(runtime.storage.get_bytes(output_key(old, "result")))
    assert result.transcript.words == [] and result.conversation.utterances == []
    assert result.transcript.duration_s == 2.0 and result.conversation.roles
    assert result.analysis.scorecard.percent == 75.0 and result.analysis.summary.text
    assert runtime.storage.exists(output_key(old, "analysis")) and runtime.storage.exists(output_key(old, "audio"))

    assert _recording(runtime, new).purged_at is None and runtime.storage.exists(new_audio)
    assert {key: runtime.storage.get_bytes(key) for key in runtime.storage.keys(f"calls/{new}/")} == new_objects

    before = _snapshot(runtime)
    assert purge_expired(runtime, now=now) == Purged()
    assert _snapshot(runtime) == before

    for stage in (Stage.transcribe, Stage.diarize):
        with pytest.raises(RerunRefused, match="retention"):
            rerun_stage(runtime, old, stage)
    with pytest.raises(RerunRefused, match="transcript"):
        rerun_stage(runtime, old, Stage.analyze)


def test_a_recording_shared_with_a_newer_call_is_kept(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    recording_id = store_recording(runtime, created_at=now - timedelta(days=40))
    old = add_call(runtime, recording_id=recording_id, created_at=now - timedelta(days=40))
    add_call(runtime, recording_id=recording_id, created_at=now - timedelta(days=1))
    mid_stage = add_call(
        runtime, done=(Stage.transcribe,), status=CallStatus.processing, created_at=now - timedelta(days=40)
    )

    assert purge_expired(runtime, now=now) == Purged(recordings=0, transcripts=1)

    recording = _recording(runtime, old)
    assert recording.purged_at is None and runtime.storage.exists(recording.storage_key)
    assert not runtime.storage.exists(output_key(old, "transcript"))
    assert runtime.storage.exists(output_key(mid_stage, "transcript"))
    assert _recording(runtime, mid_stage).purged_at is None
    assert purge_expired(runtime, now=now) == Purged()

    # Once both calls have expired the audio goes too (the old call's transcripts went already); a call still
    # mid-stage keeps everything until it finishes.
    assert purge_expired(runtime, now=now + timedelta(days=30)) == Purged(recordings=1, transcripts=1)
    assert _recording(runtime, old).purged_at is not None
    assert runtime.storage.exists(output_key(mid_stage, "transcript"))


def test_nothing_is_purged_without_a_retention_period(isolated: Isolated) -> None:
    runtime = stub_runtime(isolated.settings)
    add_call(runtime, created_at=datetime.now(UTC) - timedelta(days=3650))
    before = _snapshot(runtime)

    assert purge_expired(runtime) == Purged()
    assert _snapshot(runtime) == before
