"""The deal sync from HubSpot on PostgreSQL, against the local HubSpot server (tests/support/crm_servers/hubspot.py:
pipelines with stage metadata, owners, the deal search on hs_lastmodifieddate with `after` paging and its result
cap, batch reads with property history, archived deals, deal-contact associations): a full sync over several pages
with the history backfilled, an incremental one that sees a deal moved to another pipeline and an archived deal, a
search that passes the result cap, and a sync that fails half-way and resumes."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm_fill.adapters import HubSpotAdapter
from models.errors import Unavailable
from pipeline.db import ContactPhone, CRMStage
from pipeline.runtime import Runtime
from services.crm_connections import open_adapter
from services.deals.hubspot import HubSpotDeals
from services.deals.sync import sync_connection
from tests.support.crm_servers.hubspot import HubSpotServer
from tests.support.deal_history import postgres
from tests.support.deal_sync import connected, history, runtime, stored_deals

__all__ = ["postgres", "runtime"]  # the fixtures

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def _stage(stage_id: str, label: str, order: int, probability: str, closed: bool) -> dict:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
    }


@pytest.fixture
def hub() -> Iterator[HubSpotServer]:
    server = HubSpotServer().start()
    server.pipelines = [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": [
                _stage("appointmentscheduled", "Appointment scheduled", 0, "0.2", False),
                _stage("contractsent", "Contract sent", 1, "0.8", False),
                _stage("closedwon", "Closed won", 2, "1.0", True),
                _stage("closedlost", "Closed lost", 3, "0.0", True),
            ],
        },
        {"id": "77001", "label": "Partners", "displayOrder": 1, "stages": [_stage("88001", "New", 0, "0.1", False)]},
    ]
    server.owners = [
        {"id": "301", "email": "anna@example.com", "firstName": "Anna", "lastName": "Smirnova"},
        {"id": "302", "email": "bob@example.com", "firstName": "Bob", "lastName": "Stone"},
    ]
    server.contacts = {"501": {"phone": "+79161234567", "firstname": "Ivan", "lastname": "Petrov", "deals": ["1"]}}
    for number in range(1, 6):
        server.put_deal(
            str(number),
            T0 + timedelta(minutes=number),
            dealname=f"Deal {number}",
            pipeline="default",
            dealstage="appointmentscheduled",
            amount=str(20000 + number),
            deal_currency_code="EUR" if number == 5 else "USD",
            hubspot_owner_id="301" if number % 2 else "302",
            closedate="2026-12-31T00:00:00Z",
        )
    server.put_deal("2", T0 + timedelta(minutes=10), dealstage="contractsent", amount="25000")
    yield server
    server.stop()


def test_full_sync_with_history_then_incremental(runtime: Runtime, hub: HubSpotServer) -> None:
    row = connected(runtime, hub)
    first = sync_connection(runtime, row, page_size=2)
    assert (first.pages, first.added) == (3, 5) and first.history > 0
    deals = stored_deals(runtime)
    assert (str(deals["5"].amount), deals["5"].currency, deals["1"].currency) == ("20005.00", "EUR", "USD")
    assert str(deals["1"].close_date) == "2026-12-31"
    assert history(runtime, deals["2"].id, "amount") == [(None, "20002.00 USD"), ("20002.00 USD", "25000.00 USD")]
    with runtime.db.session() as session:
        names = [session.get(CRMStage, new).name for _, new in history(runtime, deals["2"].id, "stage")]
        assert names == ["Appointment scheduled", "Contract sent"], "history starts at the deal's creation"
        stages = {s.external_id: (s.outcome, s.probability) for s in session.scalars(select(CRMStage))}
        assert stages["closedwon"] == ("won", 1.0) and stages["closedlost"] == ("lost", 0.0)
        assert stages["contractsent"] == ("open", 0.8), "HubSpot's stage probability is the default"
        assert session.scalar(select(ContactPhone.phone)) is not None, "the associated contact's phone"
    assert deals["1"].rep_id is not None and deals["2"].rep_id is None, "owners mapped to reps by e-mail"

    now = datetime.now(UTC).replace(microsecond=0)
    hub.put_deal("3", now, pipeline="77001", dealstage="88001")
    hub.archive_deal("4", now)
    second = sync_connection(runtime, row, page_size=2)
    assert (second.added, second.changed, second.deleted) == (0, 1, 1)
    assert second.unchanged <= 1, "only the deals changed since the last sync are read"
    deals = stored_deals(runtime)
    assert deals["4"].deleted
    with runtime.db.session() as session:
        moved = session.get(CRMStage, deals["3"].stage_id)
        assert moved.name == "New" and deals["3"].pipeline_id != deals["1"].pipeline_id, "moved between pipelines"


def test_a_search_past_the_result_cap_starts_again_from_the_last_change(runtime: Runtime, hub: HubSpotServer) -> None:
    row = connected(runtime, hub)
    hub.search_cap = 4  # as HubSpot refuses paging past 10,000 results
    adapter = open_adapter(runtime.db, runtime.settings, row)
    assert isinstance(adapter, HubSpotAdapter)
    source = HubSpotDeals(adapter, page_size=2, search_cap=4)
    try:
        read = [deal.external_id for page in source.deal_pages(None) for deal in page]
    finally:
        source.close()
    assert set(read) == {"1", "2", "3", "4", "5"}, "every deal read despite the cap"


def test_a_sync_that_fails_half_way_resumes(runtime: Runtime, hub: HubSpotServer) -> None:
    row = connected(runtime, hub)
    hub.broken_after = "2"
    with pytest.raises(Unavailable):
        sync_connection(runtime, row, page_size=2)
    assert set(stored_deals(runtime)) == {"1", "3"}, "the first page (oldest changes first) is kept"
    hub.broken_after = None
    resumed = sync_connection(runtime, row, page_size=2)
    assert set(stored_deals(runtime)) == {"1", "2", "3", "4", "5"} and resumed.added == 3
    deals = stored_deals(runtime)
    assert history(runtime, deals["2"].id, "amount")[-1] == ("20002.00 USD", "25000.00 USD"), "history backfilled"
