"""The amoCRM / Kommo adapter against a local HTTP server implementing amoCRM's documented API v4 requests and
answers (tests/support/crm_servers/amocrm.py), not a mock object: real sockets, real JSON, real status codes."""

import logging
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from crm_fill.adapters import (
    AmoCRMAdapter,
    AmoCRMConnection,
    CRMAuthError,
    FieldMap,
    MappingError,
    PermanentCRMError,
    RetryableCRMError,
)
from crm_fill.approval import decide
from crm_fill.schema import builtin_field_schema
from models import ProposalStatus
from tests.support.crm_servers.amocrm import AmoCRMServer, AmoField
from tests.support.crm_servers.approvals import call_log, proposal
from tests.support.crm_servers.base import Answer

MOSCOW = ZoneInfo("Europe/Moscow")
STAGE, CLOSE, COMPETITORS, NEXT_STEP = 583921, 583923, 583925, 583927
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
                "enum_ids": {"qualification": 1204711, "proposal": 1204713, "negotiation": 1204715},
            },
            {"field": "expected_close_date", "crm_field": str(CLOSE), "type": "date"},
            {
                "field": "competitors_mentioned",
                "crm_field": str(COMPETITORS),
                "type": "enum",
                "enum_ids": {"Bitrix24": 77, "HubSpot": 78, "Salesforce": 79},
            },
            {"field": "next_step", "crm_field": str(NEXT_STEP), "type": "string"},
        ],
    }
)


@pytest.fixture
def server() -> Iterator[AmoCRMServer]:
    crm = AmoCRMServer().start()
    crm.fields = {
        STAGE: AmoField(
            STAGE, "Этап по звонку", "select", {1204711: "qualification", 1204713: "proposal", 1204715: "negotiation"}
        ),
        CLOSE: AmoField(CLOSE, "Дата закрытия", "date"),
        COMPETITORS: AmoField(
            COMPETITORS, "Конкуренты", "multiselect", {77: "Bitrix24", 78: "HubSpot", 79: "Salesforce"}
        ),
        NEXT_STEP: AmoField(NEXT_STEP, "Следующий шаг", "text"),
    }
    crm.leads = {
        3001: {"id": 3001, "name": "Поставка лицензий", "price": 0, "custom_fields_values": None},
        3002: {"id": 3002, "name": "Старая сделка", "price": 10, "custom_fields_values": None},
        3005: {"id": 3005, "name": "Новая сделка", "price": 0, "custom_fields_values": None},
    }
    crm.contacts = [{"id": 501, "name": "Иван Петров", "phone": "+7 (916) 123-45-67", "leads": [3002, 3005]}]
    yield crm
    crm.stop()


def connect(server: AmoCRMServer, **changes: object) -> AmoCRMConnection:
    data = {
        "base_url": server.url,
        "client_id": server.client_id,
        "client_secret": SecretStr(server.client_secret),
        "redirect_uri": server.redirect_uri,
        "access_token": SecretStr(server.access_token),
        "refresh_token": SecretStr(server.refresh_token),
        **changes,
    }
    return AmoCRMConnection.model_validate(data)


@pytest.fixture
def saved() -> list[AmoCRMConnection]:
    return []


@pytest.fixture
def adapter(server: AmoCRMServer, saved: list[AmoCRMConnection]) -> Iterator[AmoCRMAdapter]:
    crm = AmoCRMAdapter(connect(server), FIELD_MAP, on_tokens=saved.append)
    yield crm
    crm.close()


def test_write_by_deal_id_converts_enum_date_money_and_reads_back(adapter: AmoCRMAdapter, server: AmoCRMServer):
    schema = builtin_field_schema()
    close = decide(proposal("expected_close_date", "2025-03-14"), "approve", spec=schema.field("expected_close_date"))
    result = adapter.write(
        "3001",
        [
            proposal("budget", "50000 RUB"),
            proposal("deal_stage_suggestion", "proposal"),
            close,
            proposal("competitors_mentioned", ["Bitrix24", "HubSpot"]),
            proposal("next_step", "Демо во вторник"),
        ],
    )
    assert result.ok and result.verified and result.mismatches == []
    assert server.leads[3001]["price"] == 50000
    stored = server.lead_values(3001)
    assert stored[STAGE] == [{"value": "proposal", "enum_id": 1204713, "enum_code": None}]
    midnight = int(datetime(2025, 3, 14, tzinfo=MOSCOW).timestamp())
    assert stored[CLOSE] == [{"value": midnight}] and midnight == 1741899600
    assert sorted(value["enum_id"] for value in stored[COMPETITORS]) == [77, 78]
    assert stored[NEXT_STEP] == [{"value": "Демо во вторник"}]
    assert server.calls_to("/api/v4/leads/3001") == 2  # the PATCH and the read-back


def test_find_by_phone_then_write_picks_the_newest_lead(adapter: AmoCRMAdapter, server: AmoCRMServer):
    deal = adapter.find_deal(phone="+79161234567")
    assert deal == "3005"
    assert adapter.write(deal, [proposal("next_step", "Send the proposal")]).ok
    assert server.lead_values(3005)[NEXT_STEP] == [{"value": "Send the proposal"}]
    assert adapter.find_deal(deal_id="3001") == "3001"
    with pytest.raises(PermanentCRMError, match="no deal linked"):
        adapter.find_deal(phone="+7 900 000-00-00")


def test_only_approved_and_edited_values_are_sent(adapter: AmoCRMAdapter, server: AmoCRMServer):
    result = adapter.write(
        "3001",
        [
            proposal("budget", "70000 RUB", ProposalStatus.proposed),
            proposal("deal_stage_suggestion", "negotiation", ProposalStatus.rejected),
            proposal("next_step", "Созвон в пятницу", ProposalStatus.edited),
        ],
    )
    assert set(result.sent) == {"next_step"}
    assert server.leads[3001]["price"] == 0
    assert set(server.lead_values(3001)) == {NEXT_STEP}
    untouched = adapter.write("3001", [proposal("budget", "1 RUB", ProposalStatus.proposed)])
    assert untouched.sent == {} and server.calls_to("/api/v4/leads/3001") == 2


def test_expired_token_is_refreshed_once_and_the_new_pair_is_handed_over(
    adapter: AmoCRMAdapter, server: AmoCRMServer, saved: list[AmoCRMConnection]
):
    server.expire_access_token()
    assert adapter.write("3001", [proposal("budget", "12000 RUB")]).ok
    assert server.refreshes == 1 and server.leads[3001]["price"] == 12000
    assert len(saved) == 1
    assert saved[0].access_token.get_secret_value() == server.access_token
    assert saved[0].refresh_token.get_secret_value() == server.refresh_token


def test_revoked_refresh_token_asks_to_connect_again(server: AmoCRMServer):
    crm = AmoCRMAdapter(connect(server, refresh_token=SecretStr("revoked")), FIELD_MAP)
    server.expire_access_token()
    with pytest.raises(CRMAuthError, match="connect amoCRM again"):
        crm.write("3001", [proposal("budget", "1 RUB")])
    crm.close()


def test_rate_limit_answer_is_waited_out_then_sent_again(adapter: AmoCRMAdapter, server: AmoCRMServer):
    server.fail_next(
        Answer(429, {"title": "Too Many Requests", "status": 429}, {"Retry-After": "1"}), path_part="/leads/"
    )
    started = time.monotonic()
    assert adapter.write("3001", [proposal("budget", "9000 RUB")]).ok
    assert time.monotonic() - started >= 1.0
    assert server.leads[3001]["price"] == 9000


def test_long_rate_limit_and_server_errors_are_retryable(adapter: AmoCRMAdapter, server: AmoCRMServer):
    server.fail_next(Answer(429, {"title": "Too Many Requests", "status": 429}, {"Retry-After": "120"}))
    with pytest.raises(RetryableCRMError) as limited:
        adapter.write("3001", [proposal("budget", "9000 RUB")])
    assert limited.value.retry_after_s == 120 and limited.value.status == 429
    server.fail_next(Answer(502, {"title": "Bad Gateway", "status": 502}))
    with pytest.raises(RetryableCRMError, match="server error 502"):
        adapter.write("3001", [proposal("budget", "9000 RUB")])
    assert server.leads[3001]["price"] == 0


def test_our_own_rate_limit_keeps_requests_under_seven_a_second(adapter: AmoCRMAdapter, server: AmoCRMServer):
    started = time.monotonic()
    for _ in range(15):
        assert adapter.read_deal("3001") is not None
    assert time.monotonic() - started >= 14 / 6 - 0.05
    assert server.calls_to("/api/v4/leads/3001") == 15  # the server never had to refuse one


def test_validation_error_is_permanent_and_names_the_field(server: AmoCRMServer):
    wrong = FIELD_MAP.model_copy(deep=True)
    wrong.mapping("deal_stage_suggestion").enum_ids["proposal"] = "999"
    crm = AmoCRMAdapter(connect(server), wrong)
    with pytest.raises(PermanentCRMError, match=r"custom_fields_values\.0\.values: enum_id 999") as refused:
        crm.write("3001", [proposal("deal_stage_suggestion", "proposal")])
    assert not isinstance(refused.value, RetryableCRMError) and refused.value.status == 400
    crm.close()


def test_unmapped_field_or_value_fails_before_any_request(adapter: AmoCRMAdapter, server: AmoCRMServer):
    with pytest.raises(MappingError, match="'pain_points' is approved but the field map sends it nowhere"):
        adapter.write("3001", [proposal("pain_points", "slow onboarding")])
    with pytest.raises(MappingError, match="value 'closed_won' has no option id"):
        adapter.write("3001", [proposal("deal_stage_suggestion", "closed_won")])
    assert server.seen == []


def test_kommo_answering_200_but_keeping_the_old_value_is_flagged(
    adapter: AmoCRMAdapter, server: AmoCRMServer, caplog: pytest.LogCaptureFixture
):
    server.sticky_fields = {STAGE}
    with caplog.at_level(logging.WARNING):
        result = adapter.write("3001", [proposal("deal_stage_suggestion", "proposal"), proposal("budget", "5 RUB")])
    assert not result.ok and result.verified
    [mismatch] = result.mismatches
    assert (mismatch.field, mismatch.crm_field, mismatch.sent, mismatch.stored) == (
        "deal_stage_suggestion", str(STAGE), [{"enum_id": 1204713}], [],
    )  # fmt: skip
    assert "field 'deal_stage_suggestion' (583921) reads back" in caplog.text


def test_call_is_logged_once_per_call_id(adapter: AmoCRMAdapter, server: AmoCRMServer):
    first = adapter.log_call("3005", call_log("+7 916 123-45-67", rep_crm_user_id="42"))
    again = adapter.log_call("3005", call_log("+7 916 123-45-67", rep_crm_user_id="42"))
    assert first == again and len(server.calls) == 1
    [call] = server.calls
    assert call["uniq"] == "pbx-8841" and call["direction"] == "outbound" and call["duration"] == 274
    assert call["link"].endswith("pbx-8841.mp3") and call["call_result"].startswith("Клиент готов")
    assert call["responsible_user_id"] == 42 and call["entity_id"] == 501
    with pytest.raises(PermanentCRMError, match="no contact with this phone"):
        adapter.log_call("3005", call_log("+1 415 555 0100", call_id="pbx-9"))


def test_tokens_and_client_secret_never_reach_the_logs(server: AmoCRMServer, caplog: pytest.LogCaptureFixture):
    connection = connect(server)
    secrets_seen = [server.client_secret, server.access_token, server.refresh_token]
    crm = AmoCRMAdapter(connection, FIELD_MAP)
    with caplog.at_level(logging.DEBUG):
        server.expire_access_token()
        crm.write("3001", [proposal("budget", "100 RUB")])
        secrets_seen += [server.access_token, server.refresh_token]
        server.fail_next(Answer(500, {"title": "Internal Server Error", "status": 500}))
        with pytest.raises(RetryableCRMError) as failed:
            crm.read_deal("3001")
    crm.close()
    shown = caplog.text + repr(connection) + str(connection) + repr(crm) + str(failed.value) + repr(crm.connection)
    assert "HTTP Request" in caplog.text  # httpx did log each request
    for secret in secrets_seen:
        assert secret not in shown
