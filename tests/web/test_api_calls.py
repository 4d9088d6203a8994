"""The /calls API on real servers: listing, one call in full, reruns and deletion, and the bearer token."""

from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from models import CallResult, CallStatus, Stage, Word
from pipeline.db import Call, CallResultRow, Delivery, OutboxEvent, Proposal, Recording, StageRun, Subscriber, Team
from pipeline.runtime import Runtime
from pipeline.stages import output_key
from tests.support.servers import Isolated
from tests.support.stored_calls import add_call, store_recording, stub_runtime
from web.app import create_app


@pytest.fixture
def runtime(isolated: Isolated) -> Runtime:
    return stub_runtime(isolated.settings)


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime))


def _messages(runtime: Runtime, queue: str) -> list[dramatiq.Message]:
    pending = runtime.broker.queues[queue]  # type: ignore[attr-defined]
    return [dramatiq.Message.decode(pending.get_nowait()) for _ in range(pending.qsize())]


def test_list_filters_and_pages(runtime: Runtime, client: TestClient) -> None:
    now = datetime.now(UTC)
    with runtime.db.session() as session:
        team = Team(name="Москва", vocabulary=[], crm={})
        session.add(team)
        session.flush()
        team_id = team.id
    oldest = add_call(runtime, created_at=now - timedelta(days=3), provider="twilio", external_id="CA1")
    middle = add_call(runtime, created_at=now - timedelta(days=2), done=(Stage.transcribe,), team_id=team_id)
    newest = add_call(runtime, created_at=now - timedelta(days=1), done=(), status=CallStatus.failed, error="bad")

    page = client.get("/calls").json()
    assert page["total"] == 3
    assert [c["id"] for c in page["calls"]] == [newest, middle, oldest]
    first = page["calls"][2]
    assert first["provider"] == "twilio" and first["external_id"] == "CA1" and first["status"] == "done"
    assert first["score_percent"] == 75.0 and first["auto_failed"] is False
    assert first["rep_name"] == "Анна" and first["started_at"] is not None
    assert page["calls"][1]["next_stage"] == "diarize" and page["calls"][1]["score_percent"] is None
    assert page["calls"][1]["team_id"] == team_id and page["calls"][1]["team"] == "Москва"
    assert page["calls"][0]["error"] == "bad"

    def ids(**params: object) -> list[str]:
        return [c["id"] for c in client.get("/calls", params=params).json()["calls"]]

    assert ids(status="done") == [oldest]
    assert ids(provider="twilio") == [oldest]
    assert ids(team_id=team_id) == [middle]
    assert ids(since=(now - timedelta(days=2, hours=1)).isoformat()) == [newest, middle]
    assert ids(until=(now - timedelta(days=1, hours=1)).replace(tzinfo=None).isoformat()) == [middle, oldest]
    assert ids(limit=1, offset=1) == [middle]
    second = client.get("/calls", params={"limit": 2, "offset": 2}).json()
    assert second["total"] == 3 and [c["id"] for c in second["calls"]] == [oldest]
    assert client.get("/calls", params={"limit": 201}).status_code == 422
    assert client.get("/calls", params={"status": "lost"}).status_code == 422


def test_detail_has_timeline_proposals_and_result_and_404s(runtime: Runtime, client: TestClient) -> None:
    done = add_call(runtime)
    halfway = add_call(runtime, done=(Stage.transcribe,))

    detail = client.get(f"/calls/{done}").json()
    assert [run["stage"] for run in detail["timeline"]] == ["transcribe", "diarize", "analyze"]
    assert all(run["status"] == "done" and run["duration_s"] == 3.0 for run in detail["timeline"])
    assert detail["result"]["id"] == done
    assert detail["result"]["analysis"]["scorecard"]["percent"] == 75.0
    assert detail["proposals"][0]["field"] == "budget" and detail["proposals"][0]["value"] == "100000"
    assert detail["info"]["rep_name"] == "Анна" and detail["script_id"] == "ru_b2b_discovery"
    assert detail["recording"]["purged_at"] is None

    partial = client.get(f"/calls/{halfway}").json()
    assert partial["result"] is None and partial["proposals"] == [] and len(partial["timeline"]) == 1

    assert client.get("/calls/nope").status_code == 404
    assert client.post("/calls/nope/rerun", json={"stage": "analyze"}).status_code == 404
    assert client.delete("/calls/nope").status_code == 404


def test_detail_shows_personal_data_redacted_while_storage_keeps_what_was_said(
    runtime: Runtime, client: TestClient
) -> None:
    call_id = add_call(runtime)
    key = output_key(call_id, "result")
    stored = CallResult.model_validate_json(runtime.storage.get_bytes(key))
    said = [
        Word(text=text, start=index * 0.5, end=index * 0.5 + 0.4, probability=0.9)
        for index, text in enumerate(["мой", "телефон", "+7", "916", "123-45-67"])
    ]
    customer = stored.conversation.utterances[1].model_copy(update={"words": said, "start": 0.0, "end": 2.4})
    summary = stored.analysis.summary.model_copy(update={"text": "Телефон клиента 89161234567."})
    raw = stored.model_copy(
        update={
            "transcript": stored.transcript.model_copy(update={"words": said}),
            "conversation": stored.conversation.model_copy(update={"utterances": [customer]}),
            "analysis": stored.analysis.model_copy(update={"summary": summary}),
        }
    )
    runtime.storage.put_bytes(key, raw.model_dump_json().encode())
    quote = {"quote": "мой телефон +7 916 123-45-67", "start": 0.0, "end": 2.4}
    with runtime.db.session() as session:
        session.add(
            Proposal(
                call_id=call_id,
                field="next_step",
                value="Позвонить на 8 916 123 45 67",
                confidence=0.6,
                source="llm",
                status="proposed",
                evidence=[quote],
            )
        )

    detail = client.get(f"/calls/{call_id}").json()
    result = detail["result"]
    assert [w["text"] for w in result["transcript"]["words"]] == ["мой", "телефон", "[PHONE]"]
    assert result["transcript"]["words"][2]["start"] == 1.0 and result["transcript"]["words"][2]["end"] == 2.4
    assert [w["text"] for w in result["conversation"]["utterances"][0]["words"]] == ["мой", "телефон", "[PHONE]"]
    assert result["analysis"]["summary"]["text"] == "Телефон клиента [PHONE]."
    proposal = next(p for p in detail["proposals"] if p["field"] == "next_step")
    assert proposal["value"] == "Позвонить на [PHONE]"
    assert proposal["evidence"][0]["quote"] == "мой телефон [PHONE]"

    kept = CallResult.model_validate_json(runtime.storage.get_bytes(key))
    assert kept.transcript.text == "мой телефон +7 916 123-45-67"
    with runtime.db.session() as session:
        row = session.scalar(select(Proposal).where(Proposal.call_id == call_id, Proposal.field == "next_step"))
        assert row is not None and row.value == "Позвонить на 8 916 123 45 67"

    unredacted = stub_runtime(runtime.settings.model_copy(update={"redact_pii": False}))
    plain = TestClient(create_app(unredacted)).get(f"/calls/{call_id}").json()
    assert plain["result"]["transcript"]["words"][2]["text"] == "+7"
    assert next(p for p in plain["proposals"] if p["field"] == "next_step")["value"] == "Позвонить на 8 916 123 45 67"


def test_rerun_analyze_queues_only_analysis(runtime: Runtime, client: TestClient) -> None:
    call_id = add_call(runtime, error="analyze: the LLM timed out")
    transcript_before = runtime.storage.get_bytes(output_key(call_id, "transcript"))

    answer = client.post(f"/calls/{call_id}/rerun", json={"stage": "analyze", "script": "en_b2b_discovery"})

    assert answer.status_code == 202, answer.text
    assert answer.json() == {"call_id": call_id, "stage": "analyze", "queued": True}
    [message] = _messages(runtime, "llm")
    assert message.actor_name == "analyze" and message.args == (call_id,) and message.kwargs == {}
    assert _messages(runtime, "cpu") == [] and _messages(runtime, "gpu") == []
    with runtime.db.session() as session:
        row = session.get(Call, call_id)
        assert row is not None
        assert (row.status, row.next_stage, row.error) == ("queued", "analyze", None)
        assert row.options == {"script": "en_b2b_discovery"}
        assert row.enqueued_at is not None
        runs = session.scalar(select(func.count()).select_from(StageRun).where(StageRun.call_id == call_id))
    assert runs == 3
    assert runtime.storage.get_bytes(output_key(call_id, "transcript")) == transcript_before


def test_rerun_refusals(runtime: Runtime, client: TestClient) -> None:
    busy = add_call(runtime, done=(Stage.transcribe,), status=CallStatus.processing)
    not_diarized = add_call(runtime, done=(Stage.transcribe,))
    purged = add_call(runtime)
    with runtime.db.session() as session:
        call = session.get(Call, purged)
        assert call is not None
        session.get(Recording, call.recording_id).purged_at = datetime.now(UTC)  # type: ignore[union-attr]

    def rerun(call_id: str, **body: object) -> tuple[int, str]:
        answer = client.post(f"/calls/{call_id}/rerun", json=body)
        return answer.status_code, answer.text

    status, text = rerun(busy, stage="transcribe")
    assert status == 409 and "being processed" in text
    status, text = rerun(not_diarized, stage="analyze")
    assert status == 409 and "conversation" in text
    for stage in ("transcribe", "diarize"):
        status, text = rerun(purged, stage=stage)
        assert status == 409 and "retention" in text
    assert rerun(not_diarized, stage="diarize")[0] == 202
    assert rerun(purged, stage="analyze", script="no_such_script")[0] == 422
    assert rerun(purged, stage="summarize")[0] == 422
    assert [m.args for m in _messages(runtime, "cpu")] == [(not_diarized,)]
    assert _messages(runtime, "llm") == []


def test_delete_removes_the_call_everywhere_but_a_shared_recording(runtime: Runtime, client: TestClient) -> None:
    recording_id = store_recording(runtime)
    first = add_call(runtime, recording_id=recording_id)
    second = add_call(runtime, recording_id=recording_id)
    with runtime.db.session() as session:
        recording_key = session.get(Recording, recording_id).storage_key  # type: ignore[union-attr]
        subscriber = Subscriber(url="http://127.0.0.1:9/hook", secret="s", events=[])
        session.add_all([subscriber, OutboxEvent(id="e1", call_id=first, type="call.processed", payload={})])
        session.flush()
        session.add(Delivery(event_id="e1", subscriber_id=subscriber.id, status="pending"))

    assert client.delete(f"/calls/{first}").status_code == 204

    assert list(runtime.storage.keys(f"calls/{first}/")) == []
    assert runtime.storage.exists(recording_key)
    assert list(runtime.storage.keys(f"calls/{second}/"))
    with runtime.db.session() as session:
        assert session.get(Call, first) is None and session.get(Recording, recording_id) is not None
        for table in (StageRun, CallResultRow, Proposal, OutboxEvent):
            assert session.scalar(select(func.count()).select_from(table).where(table.call_id == first)) == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert client.get(f"/calls/{first}").status_code == 404

    assert client.delete(f"/calls/{second}").status_code == 204
    assert not runtime.storage.exists(recording_key)
    assert list(runtime.storage.keys("calls/")) == []
    with runtime.db.session() as session:
        assert session.get(Recording, recording_id) is None
    assert client.delete(f"/calls/{second}").status_code == 404


def test_bearer_token_guards_calls_and_deliveries(isolated: Isolated) -> None:
    settings = isolated.settings.model_copy(update={"api_token": SecretStr("s3cret")})
    client = TestClient(create_app(stub_runtime(settings)))

    for path in ("/calls", "/deliveries"):
        missing = client.get(path)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        wrong = client.get(path, headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401 and "invalid_token" in wrong.headers["www-authenticate"]
        assert client.get(path, headers={"Authorization": "Basic czNjcmV0"}).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.post("/calls/x/rerun", json={"stage": "analyze"}).status_code == 401
    assert client.delete("/calls/x").status_code == 401
    assert client.get("/openapi.json").status_code == 200
