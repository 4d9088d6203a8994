"""Delivering outbox events to a real HTTP subscriber, from rows in a real PostgreSQL database."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dramatiq import Message, Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage
from pydantic import BaseModel, SecretStr

from crm_fill.adapters.secrets import generate_key
from models.events import Event
from pipeline.events import record_event
from pipeline.queue.dispatch import PUBLISH, send_publish
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.signing import EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from publish.actor import declare_publish_actor
from publish.admin import DeliveryView, add_subscriber, list_deliveries, retry_delivery
from publish.delivery import DeliveryRound, deliver_due
from tests.support.servers import Isolated

SECRET = "whsec-test"
MIN_BACKOFF_S = 2.0


class Note(BaseModel):
    text: str


class Received(BaseModel):
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> Event:
        return Event.model_validate_json(self.body)


class Receiver:
    """A subscriber on loopback that records what it is sent and answers with the statuses it is told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.delay_s = 0.0
        self.port = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.received.append(Received(path=self.path, headers=dict(self.headers), body=body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                time.sleep(receiver.delay_s)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        # The same port again after stop(), so the subscriber's URL stays valid across an outage.
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    settings = isolated.settings.model_copy(
        update={
            "publish_max_attempts": 4,
            "publish_min_backoff_s": MIN_BACKOFF_S,
            "publish_max_backoff_s": 60.0,
            "publish_timeout_s": 2.0,
            "crm_secrets_key": SecretStr(generate_key()),
        }
    )
    runtime = Runtime(settings)
    yield runtime
    runtime.db.engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def record(runtime: Runtime, type_: str = "call.processed", call_id: str = "c1", text: str = "Клиент согласен") -> str:
    with runtime.db.session() as session:
        return record_event(session, type_, call_id, Note(text=text))


def stub_broker(runtime: Runtime) -> StubBroker:
    broker = StubBroker()
    broker.add_middleware(CurrentMessage())
    broker.declare_queue(PUBLISH)
    runtime.broker = broker
    return broker


def the_delivery(runtime: Runtime, call_id: str = "c1") -> DeliveryView:
    (view,) = list_deliveries(runtime, call_id=call_id)
    return view


def test_an_event_is_delivered_once_signed_with_the_subscribers_secret(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    event_id = record(runtime)

    assert deliver_due(runtime, "c1") == DeliveryRound(delivered=1)
    assert deliver_due(runtime, "c1") == DeliveryRound()

    (got,) = receiver.received
    headers = got.headers
    assert (
        verify(SECRET, headers[TIMESTAMP_HEADER], got.body, headers[SIGNATURE_HEADER], now=time.time(), tolerance_s=60)
        is None
    )
    assert "does not match" in verify(
        "another", headers[TIMESTAMP_HEADER], got.body, headers[SIGNATURE_HEADER], now=time.time(), tolerance_s=60
    )
    assert headers[EVENT_HEADER] == "call.processed"
    assert headers[EVENT_ID_HEADER] == event_id
    assert headers["Content-Type"].startswith("application/json")
    # Compact UTF-8 JSON: Cyrillic as itself, not as \u escapes.
    assert "Клиент согласен".encode() in got.body
    assert b", " not in got.body and b": " not in got.body
    assert got.event.id == event_id
    assert got.event.type == "call.processed"
    assert got.event.data == {"text": "Клиент согласен"}
    assert got.event.created_at.tzinfo is not None

    view = the_delivery(runtime)
    assert (view.status, view.attempts, view.last_error, view.event_id) == ("delivered", 1, None, event_id)
    assert view.delivered_at is not None


def test_a_failed_attempt_is_retried_after_the_backoff(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)
    receiver.statuses = [500]
    start = datetime.now(UTC)

    first = deliver_due(runtime, "c1", now=start)
    assert (first.delivered, first.failed, first.dead) == (0, 1, 0)
    assert first.next_attempt_at is not None
    assert start + timedelta(seconds=0.9 * MIN_BACKOFF_S) <= first.next_attempt_at <= start + timedelta(seconds=2)
    view = the_delivery(runtime)
    assert (view.status, view.attempts, view.last_error) == ("pending", 1, "HTTP 500")

    assert deliver_due(runtime, "c1", now=start + timedelta(seconds=1)).delivered == 0
    assert len(receiver.received) == 1

    later = first.next_attempt_at
    assert deliver_due(runtime, "c1", now=later) == DeliveryRound(delivered=1)
    view = the_delivery(runtime)
    assert (view.status, view.attempts, view.last_error, view.delivered_at) == ("delivered", 2, None, later)
    retry = receiver.received[1]
    assert retry.headers[EVENT_ID_HEADER] == receiver.received[0].headers[EVENT_ID_HEADER]
    assert retry.headers[TIMESTAMP_HEADER] == str(int(later.timestamp()))
    signature = retry.headers[SIGNATURE_HEADER]
    timestamp = retry.headers[TIMESTAMP_HEADER]
    assert verify(SECRET, timestamp, retry.body, signature, now=later.timestamp(), tolerance_s=60) is None


def test_a_subscriber_that_is_down_gets_the_event_once_it_is_back(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)
    receiver.stop()

    now = datetime.now(UTC)
    waits = []
    for _ in range(2):
        failed = deliver_due(runtime, "c1", now=now)
        assert failed.failed == 1
        assert failed.next_attempt_at is not None
        waits.append((failed.next_attempt_at - now).total_seconds())
        now = failed.next_attempt_at
        assert the_delivery(runtime).last_error == "connection refused"
    assert 0.9 * MIN_BACKOFF_S <= waits[0] <= MIN_BACKOFF_S
    assert 0.9 * 2 * MIN_BACKOFF_S <= waits[1] <= 2 * MIN_BACKOFF_S

    receiver.start()
    assert deliver_due(runtime, "c1", now=now).delivered == 1
    assert len(receiver.received) == 1
    assert (the_delivery(runtime).status, the_delivery(runtime).attempts) == ("delivered", 3)


def test_a_subscriber_that_never_answers_times_out(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)
    receiver.delay_s = 3.0

    assert deliver_due(runtime, "c1").failed == 1
    assert the_delivery(runtime).last_error == "timed out after 2 s"


def test_after_the_last_attempt_a_delivery_is_dead_until_retried(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)
    receiver.statuses = [503] * 4
    now = datetime.now(UTC)
    for _ in range(3):
        failed = deliver_due(runtime, "c1", now=now)
        assert failed.failed == 1 and failed.next_attempt_at is not None
        now = failed.next_attempt_at
    assert deliver_due(runtime, "c1", now=now) == DeliveryRound(dead=1)
    assert deliver_due(runtime, "c1", now=now + timedelta(days=1)) == DeliveryRound()

    (dead,) = list_deliveries(runtime, status="dead")
    assert (dead.attempts, dead.last_error, dead.call_id, dead.subscriber_url) == (4, "HTTP 503", "c1", receiver.url)
    assert list_deliveries(runtime, status="pending") == []

    broker = stub_broker(runtime)
    retried = retry_delivery(runtime, dead.id)
    assert retried is not None
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert json.loads(broker.queues[PUBLISH].get_nowait())["args"] == ["c1"]

    assert deliver_due(runtime, "c1") == DeliveryRound(delivered=1)
    assert len(receiver.received) == 5
    assert the_delivery(runtime).status == "delivered"
    # A delivered one stays as it is; an unknown id is not found.
    assert retry_delivery(runtime, dead.id) == the_delivery(runtime)
    assert broker.queues[PUBLISH].empty()
    assert retry_delivery(runtime, dead.id + 100) is None


def test_a_subscriber_gets_only_the_event_types_it_asked_for(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, f"{receiver.url}/failures", SECRET, ["call.failed"])
    add_subscriber(runtime, f"{receiver.url}/everything", SECRET, [])
    record(runtime, "call.processed", "c1")
    record(runtime, "call.failed", "c2")

    assert deliver_due(runtime, None).delivered == 3
    got = sorted((r.path, r.headers[EVENT_HEADER]) for r in receiver.received)
    assert got == [("/everything", "call.failed"), ("/everything", "call.processed"), ("/failures", "call.failed")]


def test_two_workers_at_once_send_each_delivery_exactly_once(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, f"{receiver.url}/a", SECRET, [])
    add_subscriber(runtime, f"{receiver.url}/b", SECRET, [])
    for i in range(8):
        record(runtime, call_id=f"c{i}")
    receiver.delay_s = 0.05
    start = threading.Barrier(2)
    rounds: list[DeliveryRound] = []

    def worker() -> None:
        start.wait()
        rounds.append(deliver_due(runtime, None))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    sent = [(r.path, r.headers[EVENT_ID_HEADER]) for r in receiver.received]
    assert len(sent) == len(set(sent)) == 16
    assert sorted(r.delivered for r in rounds)[0] > 0, "both workers should have taken a share"
    assert sum(r.delivered for r in rounds) == 16
    assert {v.status for v in list_deliveries(runtime)} == {"delivered"}


def run_publish_worker(runtime: Runtime, call_id: str) -> list[int | None]:
    """Send one publish message through a real dramatiq worker; returns the delay (ms) of every message sent."""
    broker = stub_broker(runtime)
    declare_publish_actor(broker, runtime)
    delays: dict[str, int | None] = {}
    enqueue = broker.enqueue

    def recording(message: Message, *, delay: int | None = None) -> Message:
        # The worker moves a delayed message to the queue once due by enqueuing it again, under the same id.
        delays.setdefault(message.message_id, delay)
        return enqueue(message, delay=delay)

    broker.enqueue = recording  # type: ignore[method-assign]
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        send_publish(runtime, call_id)
        broker.join(PUBLISH, timeout=30_000, fail_fast=True)
    finally:
        worker.stop()
    return list(delays.values())


def test_the_publish_actor_delivers(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)

    assert run_publish_worker(runtime, "c1") == [None]
    assert len(receiver.received) == 1
    assert the_delivery(runtime).status == "delivered"


def test_the_publish_actor_comes_back_when_the_retry_is_due(runtime: Runtime, receiver: Receiver) -> None:
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)
    receiver.statuses = [500]

    delays = run_publish_worker(runtime, "c1")
    assert len(delays) == 2 and delays[0] is None
    assert delays[1] is not None and 1000 <= delays[1] <= MIN_BACKOFF_S * 1000
    assert len(receiver.received) == 2
    view = the_delivery(runtime)
    assert (view.status, view.attempts) == ("delivered", 2)


def test_delivery_works_the_same_on_sqlite(tmp_path: Path, receiver: Receiver) -> None:
    database_url = f"sqlite:///{tmp_path / 'callintel.db'}"
    runtime = Runtime(Settings(data_dir=tmp_path, database_url=database_url, crm_secrets_key=SecretStr(generate_key())))
    add_subscriber(runtime, receiver.url, SECRET, [])
    record(runtime)
    receiver.statuses = [500]
    now = datetime.now(UTC)

    failed = deliver_due(runtime, "c1", now=now)
    assert failed.failed == 1 and failed.next_attempt_at is not None and failed.next_attempt_at.tzinfo is not None
    assert deliver_due(runtime, "c1", now=failed.next_attempt_at) == DeliveryRound(delivered=1)
    view = the_delivery(runtime)
    assert (view.status, view.attempts, view.delivered_at) == ("delivered", 2, failed.next_attempt_at)
    assert receiver.received[1].event.created_at.tzinfo is not None
