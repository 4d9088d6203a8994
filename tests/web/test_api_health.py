"""/health, /metrics and the OpenAPI document, on real servers."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from models import CallStatus, Stage
from pipeline.db import Delivery, OutboxEvent, StageRun, Subscriber
from pipeline.queue.dispatch import send_stage
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.servers import Isolated
from tests.support.stored_calls import add_call, closed_port, stub_runtime
from web.app import create_app


def test_health_is_ok_with_every_server_up(isolated: Isolated) -> None:
    runtime = Runtime(isolated.settings)
    runtime.storage.ensure_bucket()  # type: ignore[attr-defined]

    answer = TestClient(create_app(runtime)).get("/health")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok", "broker": "ok"}}


def test_health_names_the_server_that_is_down(isolated: Isolated) -> None:
    call_id = add_call(stub_runtime(isolated.settings))
    settings = isolated.settings.model_copy(update={"s3_endpoint": f"127.0.0.1:{closed_port()}"})
    client = TestClient(create_app(Runtime(settings)))

    answer = client.get("/health")

    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["storage"] != "ok" and checks["database"] == "ok" and checks["broker"] == "ok"
    assert "127.0.0.1" not in answer.text
    assert client.get("/calls").status_code == 200
    # A call's result is in storage: a 503 that names the kind of outage, not a 500.
    detail = client.get(f"/calls/{call_id}")
    assert detail.status_code == 503 and detail.json() == {"detail": "storage unavailable, try again later"}
    assert detail.headers["retry-after"]


def test_metrics_read_the_database_and_queues(isolated: Isolated) -> None:
    runtime = stub_runtime(isolated.settings)
    add_call(runtime)
    queued = add_call(runtime, done=(Stage.transcribe,))
    add_call(runtime, done=(), status=CallStatus.failed)
    send_stage(runtime, queued, Stage.diarize)
    now = datetime.now(UTC)
    with runtime.db.session() as session:
        session.add(
            StageRun(call_id=queued, stage="diarize", status="failed", finished_at=now, duration_s=700.0, error="x")
        )
        session.add(
            StageRun(
                call_id=queued, stage="diarize", status="done", finished_at=now - timedelta(days=2), duration_s=9.0
            )
        )
        subscriber = Subscriber(url="http://127.0.0.1:9/hook", secret="s", events=[])
        session.add_all([subscriber, OutboxEvent(id="e1", call_id=queued, type="call.failed", payload={})])
        session.flush()
        session.add(Delivery(event_id="e1", subscriber_id=subscriber.id, status="dead"))

    answer = TestClient(create_app(runtime)).get("/metrics")

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }
    assert samples[("callintel_queue_depth", (("queue", "cpu"),))] == 1
    assert samples[("callintel_queue_depth", (("queue", "llm"),))] == 0
    assert samples[("callintel_calls", (("status", "done"),))] == 1
    assert samples[("callintel_calls", (("status", "queued"),))] == 1
    assert samples[("callintel_calls", (("status", "failed"),))] == 1
    assert samples[("callintel_calls", (("status", "processing"),))] == 0
    assert samples[("callintel_stage_failures_total", (("stage", "diarize"),))] == 1
    assert samples[("callintel_stage_failures_total", (("stage", "analyze"),))] == 0
    # Only successful runs of the last 24 hours: the two-day-old one and the failed one are left out.
    diarize = (("stage", "diarize"),)
    assert samples[("callintel_stage_duration_seconds_count", diarize)] == 1
    assert samples[("callintel_stage_duration_seconds_sum", diarize)] == 3.0
    assert samples[("callintel_stage_duration_seconds_bucket", (("le", "1.0"), *diarize))] == 0
    assert samples[("callintel_stage_duration_seconds_bucket", (("le", "5.0"), *diarize))] == 1
    assert samples[("callintel_stage_duration_seconds_count", (("stage", "transcribe"),))] == 2
    assert samples[("callintel_deliveries", (("status", "dead"),))] == 1


def test_metrics_leave_out_queues_when_the_broker_is_down(isolated: Isolated) -> None:
    settings = isolated.settings.model_copy(update={"broker_url": f"amqp://guest:guest@127.0.0.1:{closed_port()}/x"})
    runtime = Runtime(settings)
    client = TestClient(create_app(runtime))

    text = client.get("/metrics").text

    assert "callintel_queue_depth" not in text and 'callintel_calls{status="done"} 0.0' in text
    assert client.get("/health").json()["checks"]["broker"] != "ok"


def test_openapi_is_served(tmp_path: Path) -> None:
    client = TestClient(create_app(Runtime(Settings(data_dir=tmp_path))))

    paths = client.get("/openapi.json").json()["paths"]

    assert {"/calls", "/calls/{call_id}", "/calls/{call_id}/rerun", "/deliveries", "/health", "/metrics"} <= set(paths)
    assert "/ingest/upload" in paths
    assert client.get("/docs").status_code == 200
