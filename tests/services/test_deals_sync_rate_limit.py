"""Two deal syncs at once keep to one CRM account's rate limit together: two teams connected to the same local
Bitrix24 portal (and then the same HubSpot account) sync many pages each in two threads, on PostgreSQL, where
every adapter takes its slots from the limiter shared through the database (pipeline.crm_rate). What proves it is
the servers' own log of when each request arrived (tests/support/crm_servers/), checked against each CRM's
documented form of limit: Bitrix24's leaky bucket, HubSpot's requests a second."""

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crm_fill.adapters import FieldMap
from pipeline.db import CRMConnection, Deal
from pipeline.directory import save_team
from pipeline.runtime import Runtime
from services.crm_connections import connect
from services.deals.sync import SyncCounts, sync_connection
from tests.support.crm_servers.bitrix24 import Bitrix24Server
from tests.support.crm_servers.hubspot import HubSpotServer
from tests.support.deal_history import postgres
from tests.support.deal_sync import BUDGET, runtime

__all__ = ["postgres", "runtime"]  # the fixtures

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
TEAMS = ("Москва", "Казань")
DEALS = 6


def _connect(runtime: Runtime, kind: str, url: str, given: dict[str, Any]) -> list[CRMConnection]:
    budget = {"field": "budget", "crm_field": BUDGET[kind], "type": "money"}
    field_map = FieldMap.model_validate({"crm": kind, "fields": [budget]})
    rows = []
    with runtime.db.session() as session:
        for number, team in enumerate(TEAMS, start=1):
            save_team(session, team)
            # Bitrix24: each team's own inbound webhook (its user's) on the one portal.
            own = {key: value.format(user=number) for key, value in given.items() if isinstance(value, str)}
            row, _ = connect(
                session, runtime.settings, team=team, kind=kind, url=url, field_map=field_map, given={**given, **own}
            )
            session.flush()
            session.expunge(row)
            rows.append(row)
    return rows


def _two_at_once(runtime: Runtime, rows: list[CRMConnection]) -> list[tuple[float, float, SyncCounts]]:
    """Both connections synced in two threads started together; each one's start, end and counts."""
    done: list[tuple[float, float, SyncCounts]] = []
    failed: list[BaseException] = []
    start = threading.Barrier(len(rows))

    def sync(row: CRMConnection) -> None:
        start.wait()
        began = time.monotonic()
        try:
            counts = sync_connection(runtime, row, page_size=2)
        except BaseException as exc:
            failed.append(exc)
            raise
        done.append((began, time.monotonic(), counts))

    threads = [threading.Thread(target=sync, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failed, failed
    assert max(began for began, _, _ in done) < min(ended for _, ended, _ in done), "the two syncs overlapped"
    return done


def _most_beyond_rate(moments: list[float], rate: float) -> float:
    """The most requests any window [t_i, t_j] held beyond what `rate` drains in it: a leaky bucket's peak level."""
    moments = sorted(moments)
    return max((j - i + 1) - rate * (moments[j] - moments[i]) for j in range(len(moments)) for i in range(j + 1))


def _most_in_a_second(moments: list[float]) -> int:
    moments = sorted(moments)
    return max(sum(1 for later in moments[i:] if later - start < 1.0) for i, start in enumerate(moments))


def _all_synced(runtime: Runtime, done: list[tuple[float, float, SyncCounts]]) -> None:
    assert sorted(counts.added for _, _, counts in done) == [DEALS, DEALS]
    assert all(counts.pages == DEALS // 2 for _, _, counts in done), "many pages each"
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 2 * DEALS


def _timed(check: Callable[[], None]) -> float:
    began = time.monotonic()
    check()
    return time.monotonic() - began


def test_two_bitrix24_syncs_keep_to_the_portal_bucket_together(runtime: Runtime) -> None:
    # The portal drains 10 requests a second from a bucket 3 deep; each connection asks for 10 with a burst of 1.
    rate = 10.0
    server = Bitrix24Server(bucket=3, drain_per_s=rate).start()
    try:
        server.page_size = 2
        server.stages = {"DEAL_STAGE": [{"ID": "1", "STATUS_ID": "NEW", "NAME": "Новая", "SORT": 10}]}
        server.users = [{"ID": "1", "NAME": "Анна", "LAST_NAME": "Смирнова", "EMAIL": "anna@example.com"}]
        for number in range(1, DEALS + 1):
            server.put_deal(str(number), T0 + timedelta(minutes=number), TITLE=f"Сделка {number}", STAGE_ID="NEW")
        given = {
            "webhook_url": f"{server.url}/rest/{{user}}/{server.webhook_code}/",
            "requests_per_s": rate,
            "burst": 1,
        }
        rows = _connect(runtime, "bitrix24", server.url, given)
        done = _two_at_once(runtime, rows)
    finally:
        server.stop()
    _all_synced(runtime, done)
    moments = [moment for moment, _ in server.arrivals]
    by_team = {user: sum(1 for _, path in server.arrivals if path.startswith(f"/rest/{user}/")) for user in (1, 2)}
    assert min(by_team.values()) >= 10, by_team
    assert server.refused == 0
    assert _most_beyond_rate(moments, rate) <= 3, "the portal's bucket never overflowed"
    # Two limits of their own would send twice the rate: the pair took as long as one connection at the rate.
    assert max(moments) - min(moments) >= (len(moments) - 1) / rate * 0.95


def test_two_hubspot_syncs_keep_to_the_account_limit_together(runtime: Runtime) -> None:
    # Each connection asks for 5 requests a second, which HubSpot's adapter lets through with a burst of as many:
    # up to 9 in a second. The account allows 10.
    rate = 5.0
    server = HubSpotServer().start()
    try:
        server.per_second = 10
        server.pipelines = [
            {
                "id": "default",
                "label": "Sales Pipeline",
                "displayOrder": 0,
                "stages": [{"id": "new", "label": "New", "displayOrder": 0, "metadata": {"isClosed": "false"}}],
            }
        ]
        for number in range(1, DEALS + 1):
            server.put_deal(
                str(number), T0 + timedelta(minutes=number), dealname=f"Deal {number}", pipeline="default",
                dealstage="new", amount="100",
            )  # fmt: skip
        rows = _connect(runtime, "hubspot", server.url, {"access_token": server.access_token, "requests_per_s": rate})
        done = _two_at_once(runtime, rows)
    finally:
        server.stop()
    _all_synced(runtime, done)
    moments = [moment for moment, _ in server.arrivals]
    assert server.refused == 0
    assert _most_in_a_second(moments) <= 10, "no second held more than the account allows"
    assert max(moments) - min(moments) >= (len(moments) - rate) / rate * 0.95
