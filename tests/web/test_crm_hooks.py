"""The CRMs' change webhooks through the app on PostgreSQL in service mode: a good call to /hooks/crm/<token> is
answered 200 and queues a message that a worker's actor turns into a sync of just the deals named (against the
local amoCRM, Bitrix24 and HubSpot servers); a wrong application token or signature, or a stale timestamp, is
answered 401 with the reason and queues nothing; an unknown address 404. In embedded mode (SQLite) the address is
made with `callintel deals webhook` and the deal is synced before the answer."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dramatiq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from models.deals import DealRecord
from pipeline.db import CRMConnection
from pipeline.queue.broker import make_broker
from pipeline.runtime import Runtime
from services.deals.passes import CHANGED_ACTOR, declare_deal_actors
from services.deals.store import save_deal
from services.deals.sync import connection_crm
from services.deals.webhooks import make_webhook
from tests.support.crm_calls import KEY, team_with_amocrm
from tests.support.crm_servers.amocrm import AmoCRMServer
from tests.support.crm_servers.bitrix24 import Bitrix24Server
from tests.support.crm_servers.hubspot import HubSpotServer
from tests.support.deal_history import deal_runtime, postgres
from tests.support.deal_sync import connected, runtime, stored_deals
from web.app import create_app

__all__ = ["postgres", "runtime"]  # the fixtures

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def queued(runtime: Runtime) -> Iterator[Runtime]:
    """The runtime with an in-memory queue whose publish messages a dramatiq worker runs with the deal actors."""
    runtime.broker = make_broker("stub://")
    runtime.broker.emit_after("process_boot")
    declare_deal_actors(runtime.broker, runtime)
    yield runtime


def _sent(runtime: Runtime) -> list[dramatiq.Message]:
    queue = runtime.broker.queues.get("publish")  # type: ignore[attr-defined]
    return [] if queue is None else [dramatiq.Message.decode(data) for data in queue.queue]


def _work(runtime: Runtime) -> None:
    worker = dramatiq.Worker(runtime.broker, worker_timeout=100)
    worker.start()
    try:
        runtime.broker.join("publish", timeout=30_000)  # type: ignore[attr-defined]
        worker.join()
    finally:
        worker.stop()


def _hook(runtime: Runtime, row: CRMConnection, secret: str | None) -> str:
    with runtime.db.session() as session:
        return make_webhook(session, runtime.settings, row.id, secret)


def test_an_amocrm_webhook_syncs_the_changed_and_deleted_leads(queued: Runtime) -> None:
    amo = AmoCRMServer().start()
    try:
        amo.pipelines = [{"id": 7001, "name": "Продажи", "sort": 1, "is_main": True, "statuses": []}]
        amo.leads = {
            2: {"id": 2, "name": "Станки", "price": 5000, "status_id": 41, "pipeline_id": 7001,
                "updated_at": int(NOW.timestamp()), "custom_fields_values": None},
        }  # fmt: skip
        team_with_amocrm(queued, amo)
        with queued.db.session() as session:
            row = session.scalar(select(CRMConnection))
            save_deal(session, connection_crm(row), DealRecord(external_id="4", stage="41"))
        token = _hook(queued, row, None)
        client = TestClient(create_app(queued))
        assert client.post("/hooks/crm/not-a-token", data={"leads[update][0][id]": "2"}).status_code == 404
        form = {"leads[update][0][id]": "2", "leads[update][0][name]": "Станки", "leads[delete][0][id]": "4"}
        answer = client.post(f"/hooks/crm/{token}", data=form)
        assert answer.status_code == 200 and answer.json() == {"changed": 1, "deleted": 1}
        assert [message.actor_name for message in _sent(queued)] == [CHANGED_ACTOR]
        _work(queued)
        deals = stored_deals(queued)
        assert deals["4"].deleted and (str(deals["2"].amount), deals["2"].currency) == ("5000.00", "RUB")
        assert amo.calls_to("/api/v4/leads") == 1, "only the named lead is read"
    finally:
        amo.stop()


def test_a_bitrix24_event_syncs_the_deal_and_a_wrong_application_token_is_refused(queued: Runtime) -> None:
    b24 = Bitrix24Server().start()
    try:
        b24.put_deal("7", NOW, TITLE="Поставка", STAGE_ID="NEW", OPPORTUNITY="1200.00", CURRENCY_ID="EUR")
        row = connected(queued, b24)
        token = _hook(queued, row, "b24-app-token-9f2")
        client = TestClient(create_app(queued))
        event = {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "7", "ts": str(int(time.time())),
                 "auth[domain]": "example.bitrix24.ru", "auth[application_token]": "b24-app-token-wrong"}  # fmt: skip
        refused = client.post(f"/hooks/crm/{token}", data=event)
        assert refused.status_code == 401 and "application_token" in refused.json()["detail"]
        assert _sent(queued) == [], "nothing is synced for a refused call"
        answer = client.post(f"/hooks/crm/{token}", data={**event, "auth[application_token]": "b24-app-token-9f2"})
        assert answer.status_code == 200 and answer.json() == {"changed": 1, "deleted": 0}
        _work(queued)
        deal = stored_deals(queued)["7"]
        assert (deal.name, str(deal.amount), deal.currency) == ("Поставка", "1200.00", "EUR")
        deleted = {**event, "event": "ONCRMDEALDELETE", "auth[application_token]": "b24-app-token-9f2"}
        assert client.post(f"/hooks/crm/{token}", data=deleted).json() == {"changed": 0, "deleted": 1}
        _work(queued)
        assert stored_deals(queued)["7"].deleted
    finally:
        b24.stop()


def _signed(secret: str, url: str, body: bytes, at_ms: int) -> dict[str, str]:
    signed = b"POST" + url.encode() + body + str(at_ms).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(at_ms)}


def test_a_signed_hubspot_webhook_syncs_the_deal_and_a_bad_or_stale_signature_is_refused(queued: Runtime) -> None:
    hub = HubSpotServer().start()
    try:
        hub.put_deal("31", NOW, dealname="Licences", pipeline="default", dealstage="appointmentscheduled",
                     amount="900", deal_currency_code="USD")  # fmt: skip
        row = connected(queued, hub)
        token = _hook(queued, row, hub.client_secret)
        client = TestClient(create_app(queued))
        url = f"http://testserver/hooks/crm/{token}"
        body = json.dumps([{"objectId": 31, "subscriptionType": "deal.propertyChange", "propertyName": "amount",
                            "eventId": 100, "occurredAt": int(time.time() * 1000)}]).encode()  # fmt: skip
        now_ms = int(time.time() * 1000)
        forged = client.post(url, content=body, headers=_signed("another-secret", url, body, now_ms))
        assert forged.status_code == 401 and "X-HubSpot-Signature-v3 does not match" in forged.json()["detail"]
        stale_ms = int((time.time() - 600) * 1000)
        stale = client.post(url, content=body, headers=_signed(hub.client_secret, url, body, stale_ms))
        assert stale.status_code == 401 and "Timestamp" in stale.json()["detail"]
        assert _sent(queued) == []
        good = client.post(url, content=body, headers=_signed(hub.client_secret, url, body, now_ms))
        assert good.status_code == 200 and good.json() == {"changed": 1, "deleted": 0}
        _work(queued)
        deal = stored_deals(queued)["31"]
        assert (deal.name, str(deal.amount), deal.currency) == ("Licences", "900.00", "USD")
        assert stored_deals(queued).keys() == {"31"}, "only the deal the webhook named"
    finally:
        hub.stop()


def test_in_embedded_mode_the_cli_makes_the_address_and_a_webhook_syncs_the_lead_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("DATA_DIR", str(tmp_path)), ("LLM_BACKEND", "none"), ("CRM_SECRETS_KEY", KEY),
                        ("PUBLIC_URL", "https://calls.example.com")):  # fmt: skip
        monkeypatch.setenv(f"CALLINTEL_{name}", value)
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    amo = AmoCRMServer().start()
    try:
        amo.leads = {
            9: {"id": 9, "name": "Лицензии", "price": 700, "status_id": 41, "pipeline_id": 7001,
                "updated_at": int(NOW.timestamp()), "custom_fields_values": None},
        }  # fmt: skip
        deal_runtime(tmp_path)
        embedded = pipeline.runtime.default_runtime()
        team_with_amocrm(embedded, amo)
        runner = CliRunner()
        signed = runner.invoke(app, ["deals", "webhook", "Москва", "--crm", "amocrm", "--secret", "x"])
        assert signed.exit_code == 2 and "amoCRM does not sign" in signed.output
        made = runner.invoke(app, ["deals", "webhook", "Москва", "--crm", "amocrm"])
        assert made.exit_code == 0 and made.stdout.startswith("https://calls.example.com/hooks/crm/"), made.output
        path = made.stdout.strip().removeprefix("https://calls.example.com")
        answer = TestClient(create_app(embedded)).post(path, data={"leads[status][0][id]": "9"})
        assert answer.status_code == 200 and answer.json() == {"changed": 1, "deleted": 0}
        assert str(stored_deals(embedded)["9"].amount) == "700.00", "synced before the answer, no queue"
    finally:
        amo.stop()
