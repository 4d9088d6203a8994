"""CRM write-back in service mode, end to end: a team's amoCRM connection stored sealed in PostgreSQL, a rep's
decisions through the API, and the publish worker's delivery round writing to a local HTTP server that implements
amoCRM's documented API v4 requests and answers (tests/support/crm_servers/amocrm.py), not a mock object."""

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import AmoCRMConnection, SecretBox
from pipeline.db import CRMConnection, OutboxEvent, Proposal
from pipeline.runtime import Runtime
from publish.delivery import deliver_due
from tests.support.crm_calls import (
    CLOSE,
    KEY,
    LEAD,
    MIN_BACKOFF_S,
    NEXT_STEP,
    OTHER_LEAD,
    crm,
    processed_call,
    secrets_of,
    team_with_amocrm,
)
from tests.support.crm_servers.amocrm import AmoCRMServer, problem
from tests.support.servers import Isolated
from tests.support.stored_calls import stub_runtime
from web.app import create_app

__all__ = ["crm"]  # the amoCRM server fixture


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    settings = isolated.settings.model_copy(
        update={
            "crm_secrets_key": SecretStr(KEY),
            "publish_max_attempts": 4,
            "publish_min_backoff_s": MIN_BACKOFF_S,
            "publish_max_backoff_s": 60.0,
        }
    )
    runtime = stub_runtime(settings)
    yield runtime
    runtime.db.engine.dispose()


def deliveries(client: TestClient, call_id: str) -> dict[str, dict]:
    """The call's CRM deliveries by event type (the latest of each)."""
    found: dict[str, dict] = {}
    for view in reversed(client.get("/deliveries", params={"call_id": call_id}).json()):
        if view["crm"] is not None:
            found[view["event_type"]] = view
    return found


def test_approved_and_edited_values_reach_amocrm_after_a_429_with_the_rotated_token_stored_sealed(
    runtime: Runtime, crm: AmoCRMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first_secrets = secrets_of(crm)
    team_id = team_with_amocrm(runtime, crm)
    call_id = processed_call(runtime, team_id)
    client = TestClient(create_app(runtime))

    answer = client.post(
        f"/calls/{call_id}/decisions",
        json={
            "decisions": [
                {"field": "budget", "decision": "approve"},
                {"field": "next_step", "decision": "edit", "value": "Демо во вторник в 11:00"},
                {"field": "deal_stage_suggestion", "decision": "reject"},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "call_id": call_id,
        "approved": ["budget", "next_step"],
        "rejected": ["deal_stage_suggestion"],
        "crm_writes": 1,
    }
    publish = runtime.broker.queues["publish"]  # type: ignore[attr-defined]
    assert dramatiq.Message.decode(publish.get_nowait()).args == (call_id,)
    with runtime.db.session() as session:
        [approved] = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "crm.fields.approved")).all()
        assert approved.call_id == call_id
        assert approved.payload["fields"] == [
            {"field": "budget", "value": "100000", "status": "approved"},
            {"field": "next_step", "value": "Демо во вторник в 11:00", "status": "edited"},
        ]
        statuses = dict(
            session.execute(select(Proposal.field, Proposal.status).where(Proposal.call_id == call_id)).all()
        )
    assert statuses == {
        "budget": "approved",
        "next_step": "edited",
        "deal_stage_suggestion": "rejected",
        "expected_close_date": "proposed",
    }

    # amoCRM first answers 429 with a wait longer than the adapter sits out, then the access token has expired.
    limited = problem(429, "Too Many Requests", "Too many requests")
    limited.headers["Retry-After"] = "30"
    crm.fail_next(limited, path_part=f"/leads/{LEAD}")
    crm.expire_access_token()
    start = datetime.now(UTC)
    first = deliver_due(runtime, call_id, now=start)
    assert (first.delivered, first.failed, first.dead) == (0, 1, 0)
    write = deliveries(client, call_id)["crm.write"]
    assert (write["status"], write["attempts"]) == ("pending", 1)
    assert "rate limited" in write["last_error"]
    # The CRM's Retry-After wins over the 2 s backoff.
    assert datetime.fromisoformat(write["next_attempt_at"]) >= start + timedelta(seconds=30)
    assert crm.leads[LEAD]["price"] == 0

    assert deliver_due(runtime, call_id, now=start + timedelta(seconds=20)).delivered == 0
    later = deliver_due(runtime, call_id, now=start + timedelta(seconds=31))
    rest = deliver_due(runtime, call_id)
    # The write, then the call log that the write queued once it went through.
    assert (later.delivered + rest.delivered, later.failed + rest.failed, later.dead + rest.dead) == (2, 0, 0)

    # Exactly the approved and the edited values: the rejected stage and the undecided close date stay untouched.
    assert crm.leads[LEAD]["price"] == 100000
    assert crm.lead_values(LEAD) == {NEXT_STEP: [{"value": "Демо во вторник в 11:00"}]}
    by_type = deliveries(client, call_id)
    write = by_type["crm.write"]
    assert (write["status"], write["attempts"], write["last_error"]) == ("delivered", 2, None)
    assert write["result"]["deal_id"] == str(LEAD)
    assert set(write["result"]["sent"]) == {"budget", "next_step"}
    assert write["result"]["mismatches"] == [] and write["result"]["ok"] is True
    assert write["crm"].startswith("amocrm connection ")
    logged = by_type["crm.call_log"]
    assert logged["status"] == "delivered"
    [call] = crm.calls
    assert (call["uniq"], call["direction"], call["duration"]) == (call_id, "outbound", 2)
    assert "Клиент назвал бюджет." in call["call_result"]
    assert logged["result"] == {"deal_id": str(LEAD), "crm_call_id": str(call["id"])}

    # amoCRM rotated the refresh token: the new pair is stored at once, sealed.
    assert crm.refreshes == 1
    with runtime.db.session() as session:
        row = session.scalars(select(CRMConnection)).one()
        sealed = row.secrets
    stored = SecretBox(SecretStr(KEY)).open_connection(AmoCRMConnection, sealed)
    assert stored.refresh_token.get_secret_value() == crm.refresh_token
    assert stored.access_token.get_secret_value() == crm.access_token
    raw = json.dumps(sealed)
    assert not any(secret in raw for secret in [*first_secrets, *secrets_of(crm)])

    assert caplog.records
    assert not any(secret in caplog.text for secret in [*first_secrets, *secrets_of(crm)])
    shown = client.get("/deliveries").text
    assert not any(secret in shown for secret in [*first_secrets, *secrets_of(crm)])


def test_a_refused_write_is_dead_and_a_value_amocrm_did_not_keep_is_a_mismatch(
    runtime: Runtime, crm: AmoCRMServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    team_id = team_with_amocrm(runtime, crm)
    client = TestClient(create_app(runtime))

    refused = processed_call(runtime, team_id)
    answer = client.post(
        f"/calls/{refused}/decisions",
        json={"decisions": [{"field": "deal_stage_suggestion", "decision": "edit", "value": "negotiation"}]},
    )
    assert answer.status_code == 200, answer.text
    done = deliver_due(runtime, refused)
    assert (done.delivered, done.failed, done.dead) == (0, 0, 1)
    [dead] = [d for d in client.get("/deliveries", params={"status": "dead"}).json() if d["call_id"] == refused]
    assert dead["event_type"] == "crm.write" and dead["attempts"] == 1
    assert "PATCH /api/v4/leads/{id}: 400" in dead["last_error"] and "1204799" in dead["last_error"]
    assert crm.calls == []  # no call log for a write that did not happen
    assert crm.lead_values(LEAD) == {}

    # No deal id from the PBX: the deal is found by the customer's number; amoCRM answers 200 and keeps the old value.
    crm.sticky_fields = {NEXT_STEP}
    kept = processed_call(runtime, team_id, deal_id=None)
    answer = client.post(
        f"/calls/{kept}/decisions",
        json={
            "decisions": [
                {"field": "next_step", "decision": "edit", "value": "Созвон в пятницу"},
                {"field": "expected_close_date", "decision": "approve"},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    assert deliver_due(runtime, kept).delivered == 1
    write = deliveries(client, kept)["crm.write"]
    assert write["status"] == "delivered" and write["attempts"] == 1  # not retried: it would fail the same way
    assert write["result"]["deal_id"] == str(OTHER_LEAD)
    assert write["result"]["ok"] is False
    [mismatch] = write["result"]["mismatches"]
    assert (mismatch["field"], mismatch["crm_field"], mismatch["sent"]) == (
        "next_step",
        str(NEXT_STEP),
        [{"value": "Созвон в пятницу"}],
    )
    assert mismatch["stored"] == []
    assert CLOSE in crm.lead_values(OTHER_LEAD)  # the date was kept
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "publish.crm"]
    assert any(kept in message and "'next_step'" in message for message in warnings), warnings
    assert not any(secret in caplog.text for secret in secrets_of(crm))

    bad = client.post(f"/calls/{kept}/decisions", json={"decisions": [{"field": "shoe_size", "decision": "approve"}]})
    assert bad.status_code == 422 and "no proposal for field 'shoe_size'" in bad.json()["detail"]
    assert (
        client.post(
            "/calls/nope/decisions", json={"decisions": [{"field": "budget", "decision": "approve"}]}
        ).status_code
        == 404
    )
