"""Fields in the team's language, on PostgreSQL and a local amoCRM server (tests/support/crm_servers/amocrm.py):
a Russian head of sales approves «ЛПР: директор» on the approval page, and amoCRM receives the option id of the
field's enum, never the English label. The field map may name an option by a value's title in any language."""

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import FieldMap
from crm_fill.coerce import coerce_value
from crm_fill.schema import parse_field_schema
from pipeline.db import CRMConnection, Proposal
from pipeline.directory import save_team, store_document
from pipeline.runtime import Runtime
from publish.delivery import deliver_due
from services.accounts import UserRole, create_user
from services.crm_connections import connect
from tests.support.crm_calls import KEY, LEAD, crm, processed_call
from tests.support.crm_servers.amocrm import AmoCRMServer, AmoField
from tests.support.servers import Isolated
from tests.support.stored_calls import stub_runtime
from tests.support.web_users import PASSWORD, browser, csrf_of, log_in

__all__ = ["crm"]  # the amoCRM server fixture

ROLE_FIELD = 583929
DIRECTOR, OWNER = 1204801, 1204802
SCHEMA = """id: ru_team
version: "1"
title: Поля команды
fields:
  - name: decision_maker_role
    title: Decision maker
    titles: {en: Decision maker, ru: ЛПР}
    descriptions: {en: Who decides on the customer's side., ru: Кто принимает решение у клиента.}
    type: enum
    allowed_values: [director, owner]
    value_titles:
      director: {en: Director, ru: директор}
      owner: {en: Owner, ru: собственник}
    question: Who decides?
"""


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    runtime = stub_runtime(isolated.settings.model_copy(update={"crm_secrets_key": SecretStr(KEY)}))
    yield runtime
    runtime.db.engine.dispose()


def test_a_value_approved_in_russian_reaches_amocrm_as_its_option_id(runtime: Runtime, crm: AmoCRMServer) -> None:
    crm.fields = {ROLE_FIELD: AmoField(ROLE_FIELD, "ЛПР", "select", {DIRECTOR: "Директор", OWNER: "Собственник"})}
    field_map = FieldMap.model_validate(
        {
            "crm": "amocrm",
            "fields": [
                {
                    "field": "decision_maker_role",
                    "crm_field": str(ROLE_FIELD),
                    "type": "enum",
                    "enum_ids": {"директор": DIRECTOR, "Owner": OWNER},  # titles, in either language
                }
            ],
        }
    )
    tokens = {
        "client_id": crm.client_id,
        "client_secret": crm.client_secret,
        "redirect_uri": crm.redirect_uri,
        "access_token": crm.access_token,
        "refresh_token": crm.refresh_token,
    }
    with runtime.db.session() as session:
        store_document(session, "fields", "ru_team", "1", SCHEMA)
        team, _ = save_team(session, "Москва", fields="ru_team")
        connect(session, runtime.settings, team="Москва", kind="amocrm", url=crm.url, field_map=field_map, given=tokens)
        create_user(session, "olga", "Ольга", PASSWORD, UserRole.rop, team="Москва")
    with runtime.db.session() as session:
        stored_map = session.scalar(select(CRMConnection.field_map))
    assert stored_map["fields"][0]["enum_ids"] == {"director": str(DIRECTOR), "owner": str(OWNER)}

    call_id = processed_call(runtime, team.id)
    with runtime.db.session() as session:
        session.query(Proposal).filter(Proposal.call_id == call_id).delete()
        session.add(
            Proposal(
                call_id=call_id,
                field="decision_maker_role",
                value="director",
                ai_value="director",
                confidence=0.9,
                source="llm",
                status="proposed",
                evidence=[],
            )
        )
    client = browser(runtime)
    log_in(client, "olga")
    page = client.get(f"/app/approvals/{call_id}").text
    assert ">ЛПР <span" in page and "Кто принимает решение у клиента." in page
    assert '<p class="appr-value">директор</p>' in page
    assert '<option value="director" selected>директор</option>' in page
    assert "Director" not in page and "Decision maker" not in page

    approved = client.post(
        f"/app/approvals/{call_id}/decide",
        data={"csrf_token": csrf_of(page), "field": "decision_maker_role", "decision": "approve"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    deliver_due(runtime, call_id)
    assert [value["enum_id"] for value in crm.lead_values(LEAD)[ROLE_FIELD]] == [DIRECTOR]


def test_a_value_typed_as_its_title_in_any_language_is_stored_as_the_value() -> None:
    spec = parse_field_schema(SCHEMA, "schema").field("decision_maker_role")
    assert coerce_value("Собственник", spec) == coerce_value("OWNER", spec) == "owner"
    assert coerce_value("Director", spec) == "director"
