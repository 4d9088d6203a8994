"""The deal sync from amoCRM on PostgreSQL, against the local amoCRM server (tests/support/crm_servers/amocrm.py,
amoCRM API v4's documented list, paging, filter and event answers): a full sync over several pages, an incremental
one that sees a moved stage, a deal moved to another pipeline and a deleted deal, a sync that fails half-way and
resumes, all within the account's rate limit; the first sync's history backfilled from the events; a sync pass with
the CRM down still links calls."""

import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from models import CallDirection, CallInfo
from models.errors import Unavailable
from pipeline.db import CRMConnection, CRMStage, CRMUser, Deal, DealCall, DealChange
from pipeline.directory import save_rep
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.deals.passes import sync_pass
from services.deals.sync import SYNC_LOCK, sync_connection
from tests.support.crm_calls import CLOSE, KEY, team_with_amocrm
from tests.support.crm_servers.amocrm import AmoCRMServer
from tests.support.crm_servers.base import Answer
from tests.support.deal_history import postgres
from tests.support.stored_calls import add_call

__all__ = ["postgres"]  # the PostgreSQL fixture

SALES, PARTNERS = 7001, 7002
STATUSES = [
    {"id": 41, "name": "Первичный контакт", "sort": 10, "type": 0},
    {"id": 42, "name": "Переговоры", "sort": 20, "type": 0},
    {"id": 142, "name": "Успешно реализовано", "sort": 10000, "type": 0},
    {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000, "type": 0},
]
T0 = int(time.time()) - 86_400


def _lead(lead_id: int, updated: int, **values: object) -> dict:
    return {
        "id": lead_id,
        "name": f"Сделка {lead_id}",
        "price": 100_000 + lead_id,
        "responsible_user_id": 11 if lead_id % 2 else 12,
        "status_id": 41,
        "pipeline_id": SALES,
        "created_at": T0 - 3600,
        "updated_at": updated,
        "is_deleted": False,
        "custom_fields_values": [{"field_id": CLOSE, "values": [{"value": T0 + 30 * 86_400}]}],
        **values,
    }


@pytest.fixture
def amo() -> Iterator[AmoCRMServer]:
    server = AmoCRMServer().start()
    server.pipelines = [
        {"id": SALES, "name": "Продажи", "sort": 1, "is_main": True, "statuses": STATUSES},
        {"id": PARTNERS, "name": "Партнёры", "sort": 2, "is_main": False, "statuses": STATUSES},
    ]
    server.users = [
        {"id": 11, "name": "Анна Смирнова", "email": "Anna@Example.com"},
        {"id": 12, "name": "Пётр Иванов", "email": "petr@example.com"},
        {"id": 13, "name": "Админ", "email": None},
    ]
    server.leads = {lead_id: _lead(lead_id, T0 + lead_id) for lead_id in range(1, 6)}
    server.contacts = [{"id": 900, "name": "Иван Петров", "phone": "+7 916 123-45-67", "leads": [1, 2]}]
    yield server
    server.stop()


@pytest.fixture
def runtime(postgres: Settings) -> Iterator[Runtime]:
    runtime = Runtime(postgres.model_copy(update={"crm_secrets_key": SecretStr(KEY)}))
    runtime.db.migrate()
    yield runtime
    runtime.db.engine.dispose()


def _connection(runtime: Runtime, amo: AmoCRMServer) -> CRMConnection:
    team_with_amocrm(runtime, amo)
    with runtime.db.session() as session:
        save_rep(session, "Анна Смирнова", email="anna@example.com", team="Москва")
        return session.scalar(select(CRMConnection))


def _deals(runtime: Runtime) -> dict[str, Deal]:
    with runtime.db.session() as session:
        return {deal.external_id: deal for deal in session.scalars(select(Deal))}


def test_full_then_incremental_sync_with_paging_moves_and_deletions(runtime: Runtime, amo: AmoCRMServer) -> None:
    row = _connection(runtime, amo)
    started = time.monotonic()
    first = sync_connection(runtime, row, page_size=2)
    took = time.monotonic() - started
    assert (first.pages, first.added) == (3, 5), "five leads over three pages of two"
    requests = len(amo.seen)
    assert requests > 7 and amo.refused == 0, "more requests than amoCRM takes in a second, none refused"
    assert took >= (requests - 1) / 6.0 - 0.2, "requests spread at the adapter's 6 a second"
    deals = _deals(runtime)
    assert set(deals) == {"1", "2", "3", "4", "5"} and {deal.crm for deal in deals.values()} == {f"amocrm:{row.id}"}
    one = deals["1"]
    assert (str(one.amount), one.currency) == ("100001.00", "RUB")
    assert one.close_date is not None, "the close date from the field map's expected_close_date field"
    with runtime.db.session() as session:
        anna = session.scalar(select(CRMUser).where(CRMUser.external_id == "11"))
        assert anna.mapped_by == "email" and anna.rep_id is not None and one.rep_id == anna.rep_id
        outcomes = {
            row.external_id: row.outcome for row in session.execute(select(CRMStage.external_id, CRMStage.outcome))
        }
        assert (outcomes["142"], outcomes["143"], outcomes["42"]) == ("won", "lost", "open")

    seen_before = len(amo.seen)
    now = T0 + 1000
    amo.leads[2].update(status_id=42, updated_at=now)
    amo.leads[3].update(pipeline_id=PARTNERS, status_id=42, updated_at=now + 1)
    amo.delete_lead(4)
    second = sync_connection(runtime, row, page_size=2)
    assert second.deleted == 1 and second.added == 0
    assert second.changed == 2 and second.unchanged <= 1, "only what changed since the last sync is read"
    lead_pages = [path for _, path in amo.seen[seen_before:] if path == "/api/v4/leads"]
    assert len(lead_pages) == 2, "the changed leads fit on two pages; the rest are not read again"
    deals = _deals(runtime)
    assert deals["4"].deleted
    with runtime.db.session() as session:
        moved = session.get(CRMStage, deals["3"].stage_id)
        assert session.get(CRMStage, deals["2"].stage_id).name == "Переговоры"
        assert moved.pipeline_id == deals["3"].pipeline_id != deals["1"].pipeline_id, "moved between pipelines"
        changes = session.scalar(select(func.count()).where(DealChange.deal_id == deals["2"].id))
        assert changes == 5, "four fields at the first sync, then the stage change"


def test_a_sync_that_fails_half_way_resumes_after_the_last_saved_page(runtime: Runtime, amo: AmoCRMServer) -> None:
    row = _connection(runtime, amo)
    amo.broken_lead_page = 2
    with pytest.raises(Unavailable):
        sync_connection(runtime, row, page_size=2)
    assert set(_deals(runtime)) == {"1", "2"}, "the first page is kept"
    amo.broken_lead_page = None
    with runtime.db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:kind, :id)"), {"kind": SYNC_LOCK, "id": row.id})
        assert sync_connection(runtime, row, page_size=2).skipped, "one sync of a connection at a time"
        other.execute(text("SELECT pg_advisory_unlock(:kind, :id)"), {"kind": SYNC_LOCK, "id": row.id})
    resumed = sync_connection(runtime, row, page_size=2)
    assert set(_deals(runtime)) == {"1", "2", "3", "4", "5"}
    assert resumed.added == 3 and resumed.unchanged == 1, "it starts from the newest saved deal, not from scratch"


def test_the_sync_pass_reports_a_failing_crm_and_still_links_calls(runtime: Runtime, amo: AmoCRMServer) -> None:
    row = _connection(runtime, amo)
    sync_connection(runtime, row, page_size=2)
    call_id = add_call(runtime, info=CallInfo(crm_deal_id="3", direction=CallDirection.inbound))
    amo.fail_next(Answer(503, {"title": "Service Unavailable"}), path_part="/api/v4/account")
    done = sync_pass(runtime)
    assert list(done.failed) == [row.id] and "server error 503" in done.failed[row.id]
    assert done.links["deal_id"] == 1
    with runtime.db.session() as session:
        assert session.get(DealCall, call_id).deal_id == _deals(runtime)["3"].id


def test_the_first_sync_backfills_status_budget_and_owner_history_from_events(
    runtime: Runtime, amo: AmoCRMServer
) -> None:
    amo.change_lead(2, T0 + 100, status_id=42, price=250_000)
    amo.change_lead(2, T0 + 200, responsible_user_id=11)
    amo.change_lead(2, T0 + 300, status_id=142)
    row = _connection(runtime, amo)
    first = sync_connection(runtime, row, page_size=2)
    assert first.history > 0
    deal = _deals(runtime)["2"]
    with runtime.db.session() as session:
        stages = [
            session.get(CRMStage, change.new).external_id
            for change in session.scalars(
                select(DealChange)
                .where(DealChange.deal_id == deal.id, DealChange.field == "stage")
                .order_by(DealChange.at)
            )
        ]
        amounts = list(
            session.scalars(
                select(DealChange.new)
                .where(DealChange.deal_id == deal.id, DealChange.field == "amount")
                .order_by(DealChange.at)
            )
        )
        owners = session.scalar(select(func.count()).where(DealChange.deal_id == deal.id, DealChange.field == "owner"))
        first_at = session.scalar(select(func.min(DealChange.at)).where(DealChange.deal_id == deal.id))
    assert stages == ["41", "42", "142"], "the status history, from the lead's creation on"
    assert amounts == ["100002.00 RUB", "250000.00 RUB"] and owners == 2
    assert first_at.timestamp() == T0 - 3600, "the history starts when the lead was created"
    untouched = _deals(runtime)["1"]
    with runtime.db.session() as session:
        count = session.scalar(select(func.count()).where(DealChange.deal_id == untouched.id))
    assert count == 4, "a lead without events keeps its first state as its history"
