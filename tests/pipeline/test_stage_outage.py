"""PostgreSQL down while a stage's message is being handled, with a real RabbitMQ (a virtual host of the test's
own) and a PostgreSQL of the test's own that the test stops and starts; retry settings are small so the outages
take seconds. An outage within `stage_retry_for_s` is waited out: the stage runs once the database is back. A
longer one exhausts the retries; the call is then failed with the reason and its call.failed event recorded as
soon as the database answers, instead of staying "processing" until the reconciler's hour-long limit."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dramatiq
import pytest
from sqlalchemy import select

from ingest.files import ingest_file
from models import CallInfo, CallStatus, Stage
from pipeline.db import Call, OutboxEvent
from pipeline.queue.actors import declare_stage_actors
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.servers import Services
from tests.support.service_harness import wait_for


@dataclass
class Outage:
    postgres: OwnPostgres
    broker_url: str
    home: Path


@pytest.fixture(scope="module")
def outage(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    vhost = f"callintel-outage-{uuid.uuid4().hex[:8]}"
    services.rabbitmqctl("add_vhost", vhost)
    services.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    amqp = services.env["CALLINTEL_BROKER_URL"].rsplit("/", 1)[0]
    try:
        with own_postgres() as postgres:
            yield Outage(postgres, f"{amqp}/{vhost}", tmp_path_factory.mktemp("outage"))
    finally:
        services.rabbitmqctl("delete_vhost", vhost)


def _runtime(outage: Outage, name: str, retry_for_s: float) -> Runtime:
    database = f"c{uuid.uuid4().hex[:8]}"
    with outage.postgres.connect() as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    return Runtime(
        Settings(
            data_dir=outage.home / name,
            database_url=outage.postgres.url.rsplit("/", 1)[0] + f"/{database}",
            broker_url=outage.broker_url,
            llm_backend="none",
            stage_max_retries=1,
            stage_min_backoff_s=0.2,
            stage_max_backoff_s=0.5,
            stage_retry_for_s=retry_for_s,
        )
    )


@contextmanager
def _worker(runtime: Runtime) -> Iterator[None]:
    broker = runtime.broker
    broker.flush_all()
    declare_stage_actors(broker, runtime)
    worker = dramatiq.Worker(broker, queues={runtime.settings.speech_queue}, worker_timeout=100)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
        broker.close()


def _call(runtime: Runtime, call_id: str) -> Call | None:
    with runtime.db.session() as session:
        return session.get(Call, call_id)


def _finished(runtime: Runtime, call_id: str) -> Call | None:
    row = _call(runtime, call_id)
    return row if row is not None and row.status in (CallStatus.done, CallStatus.failed) else None


def _failed_events(runtime: Runtime, call_id: str) -> list[dict]:
    with runtime.db.session() as session:
        return list(
            session.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.call_id == call_id, OutboxEvent.type == "call.failed")
            )
        )


def _not_audio(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "call.wav"
    path.write_bytes(b"RIFF but no audio in it " + uuid.uuid4().bytes)
    return path


def test_an_outage_within_the_retry_window_is_waited_out(outage: Outage) -> None:
    runtime = _runtime(outage, "short", retry_for_s=30)
    call_id = ingest_file(_not_audio(outage.home / "short-in"), runtime, CallInfo(), {})
    with _worker(runtime):
        outage.postgres.stop()
        runtime.broker.get_actor(str(Stage.transcribe)).send(call_id)
        time.sleep(4)  # the worker keeps failing to reach the database
        outage.postgres.start()
        row = wait_for(lambda: _finished(runtime, call_id), 60, "the stage to run once the database is back")
    # The stage itself ran and judged the recording: a verdict on its content, not on the outage.
    assert isinstance(row, Call) and row.status == CallStatus.failed
    assert row.error is not None and row.error.startswith("transcribe:") and "gave up" not in row.error
    assert len(_failed_events(runtime, call_id)) == 1


def test_an_outage_past_the_retry_window_fails_the_call_with_the_reason(outage: Outage) -> None:
    runtime = _runtime(outage, "long", retry_for_s=1)
    call_id = ingest_file(_not_audio(outage.home / "long-in"), runtime, CallInfo(), {})
    with _worker(runtime):
        outage.postgres.stop()
        runtime.broker.get_actor(str(Stage.transcribe)).send(call_id)
        time.sleep(6)  # longer than the retries last: the message runs out of them
        outage.postgres.start()
        row = wait_for(lambda: _finished(runtime, call_id), 60, "the call to be failed once the database is back")
    assert isinstance(row, Call) and row.status == CallStatus.failed and row.error is not None
    assert row.error.startswith("transcribe: gave up after") and "OperationalError" in row.error
    [event] = _failed_events(runtime, call_id)
    assert event["error"] == row.error
