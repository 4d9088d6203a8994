"""The deal sync from Bitrix24 on PostgreSQL, against the local Bitrix24 server (tests/support/crm_servers/
bitrix24.py: categories, stages with their semantics, users, `crm.deal.list` filtered on DATE_MODIFY and paged by
`start`, contacts and `crm.stagehistory.list`): a full sync over several pages with the stage history backfilled,
an incremental one that sees a deal moved to another category and a changed amount, a full one that finds a
deleted deal, and a sync that fails half-way and resumes."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models.errors import Unavailable
from pipeline.db import ContactPhone, CRMStage, CRMUser
from pipeline.runtime import Runtime
from services.deals.sync import sync_connection
from tests.support.crm_servers.bitrix24 import Bitrix24Server
from tests.support.deal_history import postgres
from tests.support.deal_sync import connected, history, runtime, stored_deals

__all__ = ["postgres", "runtime"]  # the fixtures

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
STAGES = [("NEW", "Новая", None), ("PREPARATION", "Подготовка", None), ("WON", "Сделка успешна", "S"),
          ("LOSE", "Сделка провалена", "F")]  # fmt: skip


@pytest.fixture
def b24() -> Iterator[Bitrix24Server]:
    server = Bitrix24Server().start()
    server.page_size = 2
    server.categories = [{"id": 1, "name": "Партнёры", "sort": 20}]
    server.stages = {
        entity: [
            {"ID": str(index), "STATUS_ID": prefix + status, "NAME": name, "SORT": 10 * (index + 1), "SEMANTICS": sem}
            for index, (status, name, sem) in enumerate(STAGES)
        ]
        for entity, prefix in (("DEAL_STAGE", ""), ("DEAL_STAGE_1", "C1:"))
    }
    server.users = [
        {"ID": "1", "NAME": "Анна", "LAST_NAME": "Смирнова", "EMAIL": "Anna@Example.com"},
        {"ID": "2", "NAME": "Пётр", "LAST_NAME": "Иванов", "EMAIL": "petr@example.com"},
    ]
    server.contacts = {700: {"NAME": "Иван", "LAST_NAME": "Петров", "PHONE": "+7 916 123-45-67"}}
    for number in range(1, 6):
        server.put_deal(
            str(number),
            T0 + timedelta(minutes=number),
            TITLE=f"Сделка {number}",
            STAGE_ID="NEW",
            OPPORTUNITY=f"{150000 + number}.00",
            CURRENCY_ID="USD" if number == 5 else "RUB",
            ASSIGNED_BY_ID=str(1 + number % 2),
            CLOSEDATE="2026-12-31T00:00:00+03:00",
            CONTACT_ID="700" if number == 1 else None,
        )
    server.put_deal("2", T0 + timedelta(minutes=10), STAGE_ID="PREPARATION")
    yield server
    server.stop()


def _stage_names(runtime: Runtime, changes: list[tuple[object, object]]) -> list[str]:
    with runtime.db.session() as session:
        return [session.get(CRMStage, new).name for _, new in changes]


def test_full_sync_with_history_then_incremental_then_full(runtime: Runtime, b24: Bitrix24Server) -> None:
    row = connected(runtime, b24)
    first = sync_connection(runtime, row)
    assert (first.pages, first.added) == (3, 5), "five deals over three pages of two"
    assert first.history >= 6, "the stage history of every new deal read back"
    deals = stored_deals(runtime)
    assert {deal.crm for deal in deals.values()} == {f"bitrix24:{row.id}"}
    assert (str(deals["5"].amount), deals["5"].currency, str(deals["1"].amount), deals["1"].currency) == (
        "150005.00", "USD", "150001.00", "RUB",
    ), "amounts keep their currency"  # fmt: skip
    assert str(deals["1"].close_date) == "2026-12-31"
    changes = history(runtime, deals["2"].id, "stage")
    assert _stage_names(runtime, changes) == ["Новая", "Подготовка"], "history starts at the deal's creation"
    with runtime.db.session() as session:
        outcomes = {(s.external_id, s.outcome) for s in session.scalars(select(CRMStage))}
        assert {("WON", "won"), ("LOSE", "lost"), ("C1:WON", "won"), ("NEW", "open")} <= outcomes
        anna = session.scalar(select(CRMUser).where(CRMUser.external_id == "1"))
        assert anna.mapped_by == "email" and anna.rep_id is not None
        assert session.scalar(select(ContactPhone.phone)) is not None, "the contact's phone, for linking calls"

    now = datetime.now(UTC).replace(microsecond=0)
    b24.put_deal("3", now, CATEGORY_ID="1", STAGE_ID="C1:NEW")
    b24.put_deal("4", now + timedelta(seconds=1), OPPORTUNITY="99000.00")
    del b24.deals["5"]
    second = sync_connection(runtime, row)
    assert (second.added, second.changed, second.deleted, second.history) == (0, 2, 0, 0)
    assert second.unchanged <= 1, "only the deals changed since the last sync are read"
    deals = stored_deals(runtime)
    with runtime.db.session() as session:
        moved = session.get(CRMStage, deals["3"].stage_id)
        assert moved.external_id == "C1:NEW" and moved.pipeline_id == deals["3"].pipeline_id != deals["1"].pipeline_id
    assert history(runtime, deals["4"].id, "amount")[-1] == ("150004.00 RUB", "99000.00 RUB")
    assert not deals["5"].deleted, "an incremental sync cannot see a deletion (the webhook tells it)"
    full = sync_connection(runtime, row, full=True)
    assert full.deleted == 1 and stored_deals(runtime)["5"].deleted, "a full sync finds the deal no longer listed"


def test_a_sync_that_fails_half_way_resumes_with_history(runtime: Runtime, b24: Bitrix24Server) -> None:
    row = connected(runtime, b24)
    b24.broken_start = 2
    with pytest.raises(Unavailable):
        sync_connection(runtime, row)
    assert set(stored_deals(runtime)) == {"1", "3"}, "the first page (oldest changes first) is kept"
    b24.broken_start = None
    resumed = sync_connection(runtime, row)
    deals = stored_deals(runtime)
    assert set(deals) == {"1", "2", "3", "4", "5"} and resumed.added == 3
    assert _stage_names(runtime, history(runtime, deals["2"].id, "stage")) == ["Новая", "Подготовка"]
