"""The failure policy (models/errors.py): bad input fails a call at once with the reason, an unavailable dependency
is retried with backoff; decided by the error's type, in embedded mode and by the queue's actors alike."""

from collections.abc import Iterator
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy import select

from ingest.files import ingest_file
from models import BadInput, CallInfo, CallStatus, Stage, Unavailable
from pipeline import stages
from pipeline.db import Call, OutboxEvent, StageRun
from pipeline.queue.actors import declare_stage_actors, stage_retries
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.stages import BadCallInput, StageUnavailable, run_stage
from publish.actor import declare_publish_actor
from tests.support.web_users import embedded_runtime

RETRIES = 2


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    # Tiny backoff so the queue's retries take milliseconds.
    return embedded_runtime(
        tmp_path,
        broker_url="stub://",
        stage_max_retries=RETRIES,
        stage_retry_for_s=0,
        stage_min_backoff_s=0.001,
        stage_max_backoff_s=0.01,
    )


@pytest.fixture
def call_id(runtime: Runtime, tmp_path: Path) -> str:
    recording = tmp_path / "call.wav"
    recording.write_bytes(b"RIFF not really audio")
    return ingest_file(recording, runtime, CallInfo(), {})


class FailingTranscribe:
    """Stands in for the transcribe stage: raises the given error every time and counts the attempts."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.attempts = 0

    def __call__(self, runtime: Runtime, call: object) -> object:
        self.attempts += 1
        raise self.error


def failing_transcribe(monkeypatch: pytest.MonkeyPatch, error: Exception) -> FailingTranscribe:
    stand_in = FailingTranscribe(error)
    monkeypatch.setitem(stages.STAGES, Stage.transcribe, stand_in)
    return stand_in


def call_row(runtime: Runtime, call_id: str) -> Call:
    with runtime.db.session() as session:
        row = session.get(Call, call_id)
        assert row is not None
        session.expunge(row)
        return row


def failed_events(runtime: Runtime, call_id: str) -> int:
    with runtime.db.session() as session:
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.call_id == call_id)).all()
        return sum(event.type == "call.failed" for event in events)


def test_bad_input_fails_the_call_at_once_with_the_reason(
    runtime: Runtime, call_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_transcribe(monkeypatch, BadInput("the recording has no audio stream"))
    with pytest.raises(BadCallInput) as caught:
        run_stage(call_id, Stage.transcribe, runtime, will_retry=True)
    assert caught.value.reason == "the recording has no audio stream"
    row = call_row(runtime, call_id)
    assert (row.status, row.error) == (CallStatus.failed, "transcribe: the recording has no audio stream")
    assert failed_events(runtime, call_id) == 1


def test_an_unavailable_dependency_leaves_the_call_queued_for_a_retry(
    runtime: Runtime, call_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_transcribe(monkeypatch, Unavailable("S3 server unreachable"))
    with pytest.raises(StageUnavailable):
        run_stage(call_id, Stage.transcribe, runtime, will_retry=True)
    row = call_row(runtime, call_id)
    assert (row.status, row.next_stage, row.error) == (
        CallStatus.queued,
        Stage.transcribe,
        "transcribe: S3 server unreachable",
    )
    assert failed_events(runtime, call_id) == 0


def test_a_plain_value_error_is_not_taken_for_bad_input(
    runtime: Runtime, call_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the type says "bad input": an unexpected ValueError from a library may pass on a retry.
    failing_transcribe(monkeypatch, ValueError("math domain error"))
    with pytest.raises(StageUnavailable):
        run_stage(call_id, Stage.transcribe, runtime, will_retry=True)
    assert call_row(runtime, call_id).status == CallStatus.queued


@pytest.fixture
def worker(runtime: Runtime) -> Iterator[dramatiq.Worker]:
    broker = runtime.broker
    declare_stage_actors(broker, runtime)
    declare_publish_actor(broker, runtime)
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop()


def run_transcribe_message(runtime: Runtime, call_id: str) -> None:
    runtime.broker.get_actor(str(Stage.transcribe)).send(call_id)
    for queue in (runtime.settings.speech_queue, "publish"):
        runtime.broker.join(queue, timeout=30_000)


def stage_runs(runtime: Runtime, call_id: str) -> list[str]:
    with runtime.db.session() as session:
        return list(session.scalars(select(StageRun.status).where(StageRun.call_id == call_id).order_by(StageRun.id)))


def test_the_queue_never_retries_bad_input(
    runtime: Runtime, call_id: str, worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = failing_transcribe(monkeypatch, BadInput("the recording has no audio stream"))
    run_transcribe_message(runtime, call_id)
    assert stand_in.attempts == 1
    assert call_row(runtime, call_id).status == CallStatus.failed
    assert failed_events(runtime, call_id) == 1


def test_the_queue_retries_an_unavailable_dependency_then_fails_the_call(
    runtime: Runtime, call_id: str, worker: dramatiq.Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = failing_transcribe(monkeypatch, Unavailable("S3 server unreachable"))
    run_transcribe_message(runtime, call_id)
    assert stand_in.attempts == 1 + RETRIES
    assert stage_runs(runtime, call_id) == ["failed"] * (1 + RETRIES)
    row = call_row(runtime, call_id)
    assert (row.status, row.error) == (CallStatus.failed, "transcribe: S3 server unreachable")
    assert failed_events(runtime, call_id) == 1


def test_retries_span_the_retry_window_even_with_short_waits(tmp_path: Path) -> None:
    # Short waits over a long window need thousands of retries; their count must still come out finite.
    settings = Settings(
        data_dir=tmp_path, stage_min_backoff_s=0.5, stage_max_backoff_s=1.0, stage_retry_for_s=1800, stage_max_retries=5
    )
    assert stage_retries(settings) == 3601  # waits of 0.25 s, then 0.5 s each, reach 1800 s
    default = Settings(data_dir=tmp_path)
    assert stage_retries(default) >= default.stage_max_retries
    assert stage_retries(Settings(data_dir=tmp_path, stage_retry_for_s=0, stage_max_retries=5)) == 5
