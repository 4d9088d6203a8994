"""A team connected to a local Bitrix24 or HubSpot server for the deal sync and the change webhooks, on PostgreSQL
(the servers are tests/support/crm_servers/, local HTTP servers implementing the CRMs' documented APIs)."""

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import FieldMap
from pipeline.db import CRMConnection, Deal, DealChange
from pipeline.directory import save_rep, save_team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.crm_connections import connect
from tests.support.crm_calls import KEY
from tests.support.crm_servers.bitrix24 import Bitrix24Server
from tests.support.crm_servers.hubspot import HubSpotServer

TEAM = "Москва"
BUDGET = {"bitrix24": "OPPORTUNITY", "hubspot": "amount"}


@pytest.fixture
def runtime(postgres: Settings) -> Iterator[Runtime]:
    runtime = Runtime(postgres.model_copy(update={"crm_secrets_key": SecretStr(KEY)}))
    runtime.db.migrate()
    yield runtime
    runtime.db.engine.dispose()


def connected(runtime: Runtime, server: Bitrix24Server | HubSpotServer) -> CRMConnection:
    kind = "bitrix24" if isinstance(server, Bitrix24Server) else "hubspot"
    given = (
        {"webhook_url": server.webhook_url}
        if isinstance(server, Bitrix24Server)
        else {"access_token": server.access_token}
    )
    field_map = FieldMap.model_validate(
        {"crm": kind, "fields": [{"field": "budget", "crm_field": BUDGET[kind], "type": "money"}]}
    )
    with runtime.db.session() as session:
        save_team(session, TEAM)
        save_rep(session, "Анна Смирнова", email="anna@example.com", team=TEAM)
        row, _ = connect(
            session, runtime.settings, team=TEAM, kind=kind, url=server.url, field_map=field_map, given=given
        )
        session.flush()
        session.expunge(row)
        return row


def stored_deals(runtime: Runtime) -> dict[str, Deal]:
    with runtime.db.session() as session:
        return {deal.external_id: deal for deal in session.scalars(select(Deal))}


def history(runtime: Runtime, deal_id: int, field: str) -> list[tuple[object, object]]:
    with runtime.db.session() as session:
        changes = session.scalars(
            select(DealChange).where(DealChange.deal_id == deal_id, DealChange.field == field).order_by(DealChange.at)
        )
        return [(change.old, change.new) for change in changes]
