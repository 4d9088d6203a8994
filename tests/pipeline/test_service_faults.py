"""Service mode under faults, on real servers: PostgreSQL, RabbitMQ and an S3 server started by
scripts/services.sh, `callintel worker` as a real subprocess, and a local HTTP subscriber receiving the events."""

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters.secrets import generate_key
from ingest.intake import take_in
from models import CallStatus, IncomingCall
from pipeline.db import Call, Recording, StageRun
from pipeline.reconcile import reconcile
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from publish.admin import add_subscriber
from tests.support.servers import SCRIPT, Services, isolated_servers
from tests.support.service_harness import Process, Subscriber, start_worker, variant, wait_for


@dataclass
class Stack:
    settings: Settings
    runtime: Runtime
    subscriber: Subscriber
    logs: Path

    def call(self, call_id: str) -> Call:
        with self.runtime.db.session() as session:
            row = session.get(Call, call_id)
            assert row is not None
            return row

    def wait_done(self, call_id: str, timeout_s: float = 300) -> Call:
        def finished() -> Call | None:
            row = self.call(call_id)
            return row if row.status in (CallStatus.done, CallStatus.failed) else None

        row = wait_for(finished, timeout_s, f"call {call_id} to finish")
        assert isinstance(row, Call)
        return row

    def processed_events(self, call_id: str) -> list:
        return [e for e in self.subscriber.of_type("call.processed") if e.body["data"]["call_id"] == call_id]


@pytest.fixture(scope="module")
def stack(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("faults")
    with isolated_servers(services, home / "home") as iso:
        settings = iso.settings.model_copy(
            update={
                "stage_min_backoff_s": 0.5,
                "stage_max_backoff_s": 2.0,
                "publish_min_backoff_s": 0.5,
                "publish_max_backoff_s": 2.0,
                "crm_secrets_key": SecretStr(generate_key()),
            }
        )
        runtime = Runtime(settings)
        runtime.storage.ensure_bucket()
        subscriber = Subscriber()
        subscriber.start()
        add_subscriber(runtime, subscriber.url, subscriber.secret, [])
        yield Stack(settings, runtime, subscriber, home)
        subscriber.stop()


def _take_in(stack: Stack, path: Path, external_id: str) -> str:
    intake = take_in(IncomingCall(provider="test", external_id=external_id), path, stack.runtime)
    assert not intake.duplicate
    return intake.call_id


def test_worker_killed_mid_transcription_call_still_completes_once(stack: Stack, data_dir: Path) -> None:
    worker = start_worker(stack.settings, stack.logs)
    try:
        call_id = _take_in(stack, data_dir / "pyannote_sample.wav", "sigkill-1")

        def transcribing() -> bool:
            with stack.runtime.db.session() as session:
                runs = session.scalars(select(StageRun).where(StageRun.call_id == call_id)).all()
            return any(r.stage == "transcribe" and r.status == "running" for r in runs)

        wait_for(transcribing, 120, "transcription to start", every_s=0.05)
        worker.kill()
        assert stack.call(call_id).status == CallStatus.processing
        worker = start_worker(stack.settings, stack.logs)
        row = stack.wait_done(call_id)
        assert row.status == CallStatus.done, row.error
        wait_for(lambda: stack.processed_events(call_id), 60, "the call.processed event")
        time.sleep(3)  # a second event, if one were coming, would arrive within the publish backoff
        events = stack.processed_events(call_id)
        assert len(events) == 1
        assert events[0].signature_problem is None
        with stack.runtime.db.session() as session:
            runs = session.scalars(select(StageRun).where(StageRun.call_id == call_id, StageRun.stage == "transcribe"))
            statuses = sorted(r.status for r in runs)
        assert statuses == ["done", "interrupted"]
    finally:
        worker.stop()


def _restart_rabbitmq() -> None:
    subprocess.run([SCRIPT, "stop", "rabbitmq"], check=True)
    subprocess.run([SCRIPT, "start", "rabbitmq"], check=True)


def test_broker_restarted_mid_run_loses_nothing(stack: Stack, data_dir: Path, tmp_path: Path) -> None:
    worker = start_worker(stack.settings, stack.logs)
    try:
        first = _take_in(stack, variant(data_dir / "pyannote_sample.wav", tmp_path, "a.wav"), "restart-1")
        wait_for(lambda: stack.call(first).status == CallStatus.processing, 120, "the first call to start")
        subprocess.run([SCRIPT, "stop", "rabbitmq"], check=True)
        # Taken in while the broker is down: stored and marked due; the reconciler queues it later.
        second = _take_in(stack, variant(data_dir / "fw_stereo_diarization.wav", tmp_path, "b.wav"), "restart-2")
        assert stack.call(second).enqueued_at is None
        subprocess.run([SCRIPT, "start", "rabbitmq"], check=True)
        reconcile(stack.runtime, now=_later(120))
        for call_id in (first, second):
            row = stack.wait_done(call_id)
            assert row.status == CallStatus.done, row.error
            wait_for(lambda call_id=call_id: stack.processed_events(call_id), 60, "the call.processed event")
        time.sleep(3)
        assert [len(stack.processed_events(c)) for c in (first, second)] == [1, 1]
    finally:
        worker.stop()


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_non_audio_recording_fails_with_a_clear_reason_and_others_flow(
    stack: Stack, data_dir: Path, tmp_path: Path
) -> None:
    worker: Process = start_worker(stack.settings, stack.logs)
    try:
        text = tmp_path / "notes.wav"
        text.write_text("this is a meeting note, not a recording\n" * 50)
        bad = _take_in(stack, text, "bad-1")
        good = _take_in(stack, variant(data_dir / "fw_stereo_diarization.wav", tmp_path, "c.wav"), "good-after-bad")
        bad_row = stack.wait_done(bad)
        assert bad_row.status == CallStatus.failed
        assert bad_row.error is not None and bad_row.error.startswith("transcribe:")
        assert "audio" in bad_row.error
        with stack.runtime.db.session() as session:
            key = session.scalars(select(Recording.storage_key).join(Call).where(Call.id == bad)).one()
        assert stack.runtime.storage.get_bytes(key) == text.read_bytes()
        assert stack.wait_done(good).status == CallStatus.done
        failed = wait_for(
            lambda: [e for e in stack.subscriber.of_type("call.failed") if e.body["data"]["call_id"] == bad],
            60,
            "the call.failed event",
        )
        assert failed[0].body["data"]["stage"] == "transcribe"  # type: ignore[index]
    finally:
        worker.stop()
