"""An amoCRM test server set up for one team's write-back, and a processed call with proposals for it: shared by
the PostgreSQL and the SQLite write-back tests. The server is tests/support/crm_servers/amocrm.py, a local HTTP
server that implements amoCRM's documented API v4."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crm_fill.adapters import FieldMap, generate_key
from models import CallDirection, CallInfo
from pipeline.db import Proposal
from pipeline.directory import save_team
from pipeline.runtime import Runtime
from services.crm_connections import connect
from tests.support.crm_servers.amocrm import AmoCRMServer, AmoField
from tests.support.stored_calls import add_call

KEY = generate_key()
STAGE, CLOSE, NEXT_STEP = 583921, 583923, 583927
LEAD, OTHER_LEAD = 3001, 3005
PHONE = "+7 (916) 123-45-67"
MIN_BACKOFF_S = 2.0
FIELD_MAP = FieldMap.model_validate(
    {
        "crm": "amocrm",
        "timezone": "Europe/Moscow",
        "fields": [
            {"field": "budget", "crm_field": "price", "type": "money"},
            {
                "field": "deal_stage_suggestion",
                "crm_field": str(STAGE),
                "type": "enum",
                # 1204799 is not an option of the field in the CRM: writing it is refused with 400.
                "enum_ids": {"qualification": 1204711, "proposal": 1204713, "negotiation": 1204799},
            },
            {"field": "expected_close_date", "crm_field": str(CLOSE), "type": "date"},
            {"field": "next_step", "crm_field": str(NEXT_STEP), "type": "string"},
        ],
    }
)


@pytest.fixture
def crm() -> Iterator[AmoCRMServer]:
    server = AmoCRMServer().start()
    server.fields = {
        STAGE: AmoField(STAGE, "Этап по звонку", "select", {1204711: "qualification", 1204713: "proposal"}),
        CLOSE: AmoField(CLOSE, "Дата закрытия", "date"),
        NEXT_STEP: AmoField(NEXT_STEP, "Следующий шаг", "text"),
    }
    server.leads = {
        LEAD: {"id": LEAD, "name": "Поставка лицензий", "price": 0, "custom_fields_values": None},
        OTHER_LEAD: {"id": OTHER_LEAD, "name": "Новая сделка", "price": 0, "custom_fields_values": None},
    }
    server.contacts = [{"id": 501, "name": "Иван Петров", "phone": PHONE, "leads": [OTHER_LEAD]}]
    yield server
    server.stop()


def secrets_of(crm: AmoCRMServer) -> list[str]:
    return [crm.access_token, crm.refresh_token, crm.client_secret]


def team_with_amocrm(runtime: Runtime, crm: AmoCRMServer) -> int:
    given = {
        "client_id": crm.client_id,
        "client_secret": crm.client_secret,
        "redirect_uri": crm.redirect_uri,
        "access_token": crm.access_token,
        "refresh_token": crm.refresh_token,
    }
    with runtime.db.session() as session:
        team, _ = save_team(session, "Москва")
        connect(session, runtime.settings, team="Москва", kind="amocrm", url=crm.url, field_map=FIELD_MAP, given=given)
        return team.id


def processed_call(runtime: Runtime, team_id: int, deal_id: str | None = str(LEAD), rep_id: int | None = None) -> str:
    """A processed outbound call (of `rep_id`, when given) with four proposals: budget (from stored_calls), stage,
    close date, next step."""
    info = CallInfo(
        started_at=datetime(2025, 2, 19, 11, 5, tzinfo=UTC),
        direction=CallDirection.outbound,
        from_number="+7 495 000-00-01",
        to_number=PHONE,
        crm_deal_id=deal_id,
        timezone="Europe/Moscow",
    )
    call_id = add_call(runtime, team_id=team_id, rep_id=rep_id, info=info)
    with runtime.db.session() as session:
        for field, value in (
            ("deal_stage_suggestion", "proposal"),
            ("expected_close_date", "2025-03-14"),
            ("next_step", "Отправить КП"),
        ):
            session.add(
                Proposal(
                    call_id=call_id,
                    field=field,
                    value=value,
                    ai_value=value,
                    confidence=0.8,
                    source="rule",
                    status="proposed",
                    evidence=[],
                )
            )
    return call_id
