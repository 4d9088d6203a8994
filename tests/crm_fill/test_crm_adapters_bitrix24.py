"""The Bitrix24 adapter against a local HTTP server implementing Bitrix24's documented REST methods and answers
(tests/support/crm_servers/bitrix24.py), not a mock object: inbound-webhook and OAuth access, the leaky-bucket limit."""

import logging
import time
from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import SecretStr

from crm_fill.adapters import (
    Bitrix24Adapter,
    Bitrix24Connection,
    CRMAuthError,
    DealNotFound,
    FieldMap,
    PermanentCRMError,
    RetryableCRMError,
)
from tests.support.crm_servers.approvals import call_log, proposal
from tests.support.crm_servers.base import Answer
from tests.support.crm_servers.bitrix24 import Bitrix24Server, UserField

FIELD_MAP = FieldMap.model_validate(
    {
        "crm": "bitrix24",
        "timezone": "Europe/Moscow",
        "fields": [
            {"field": "budget", "crm_field": "OPPORTUNITY", "type": "money"},
            {"field": "deposit", "crm_field": "UF_CRM_1700000101", "type": "money"},
            {
                "field": "deal_stage_suggestion",
                "crm_field": "UF_CRM_1700000102",
                "type": "enum",
                "enum_ids": {"qualification": 45, "proposal": 46},
            },
            {
                "field": "competitors_mentioned",
                "crm_field": "UF_CRM_1700000103",
                "type": "enum",
                "enum_ids": {"amoCRM": 51, "HubSpot": 52},
            },
            {"field": "expected_close_date", "crm_field": "UF_CRM_1700000104", "type": "date"},
            {"field": "budget_confirmed", "crm_field": "UF_CRM_1700000105", "type": "bool"},
            {"field": "next_step", "crm_field": "UF_CRM_1700000106", "type": "string"},
            {"field": "discount_percent", "crm_field": "UF_CRM_1700000107", "type": "number"},
        ],
    }
)


@pytest.fixture
def server() -> Iterator[Bitrix24Server]:
    crm = Bitrix24Server().start()
    crm.user_fields = {
        "UF_CRM_1700000101": UserField("money"),
        "UF_CRM_1700000102": UserField("enumeration", {"45": "Квалификация", "46": "КП"}),
        "UF_CRM_1700000103": UserField("enumeration", {"51": "amoCRM", "52": "HubSpot"}, multiple=True),
        "UF_CRM_1700000104": UserField("date"),
        "UF_CRM_1700000105": UserField("boolean"),
        "UF_CRM_1700000107": UserField("double"),
    }  # UF_CRM_1700000106 was deleted from the portal: updates to it are ignored
    crm.deals = {
        "12": {"ID": "12", "TITLE": "Внедрение", "OPPORTUNITY": "0.00", "CURRENCY_ID": "RUB", "CONTACT_ID": "7"},
        "15": {"ID": "15", "TITLE": "Продление", "OPPORTUNITY": "0.00", "CURRENCY_ID": "RUB", "CONTACT_ID": "7"},
    }
    crm.contacts = {7: {"ID": 7, "NAME": "Ольга", "PHONE": "+7 495 123-45-67"}}
    yield crm
    crm.stop()


def by_webhook(server: Bitrix24Server, **changes: object) -> Bitrix24Adapter:
    return Bitrix24Adapter(Bitrix24Connection(webhook_url=SecretStr(server.webhook_url), **changes), FIELD_MAP)


def by_oauth(server: Bitrix24Server, saved: list[Bitrix24Connection] | None = None) -> Bitrix24Adapter:
    connection = Bitrix24Connection(
        portal_url=server.url,
        access_token=SecretStr(server.access_token),
        refresh_token=SecretStr(server.refresh_token),
        client_id=server.client_id,
        client_secret=SecretStr(server.client_secret),
        oauth_url=f"{server.url}/oauth/token/",
    )
    return Bitrix24Adapter(connection, FIELD_MAP, on_tokens=saved.append if saved is not None else None)


def test_write_by_deal_id_through_the_webhook_reads_back_in_the_portals_own_forms(server: Bitrix24Server):
    crm = by_webhook(server)
    result = crm.write(
        "12",
        [
            proposal("budget", "1500000 RUB"),
            proposal("deposit", "50000 RUB"),
            proposal("deal_stage_suggestion", "proposal"),
            proposal("competitors_mentioned", ["amoCRM", "HubSpot"]),
            proposal("expected_close_date", date(2025, 3, 14)),
            proposal("budget_confirmed", True),
            proposal("discount_percent", 0.0),
        ],
    )
    crm.close()
    assert result.ok, result.mismatches
    deal = server.deals["12"]
    assert deal["OPPORTUNITY"] == "1500000.00"
    assert deal["UF_CRM_1700000101"] == "50000.00|RUB"
    assert deal["UF_CRM_1700000102"] == "46" and deal["UF_CRM_1700000103"] == ["51", "52"]
    assert deal["UF_CRM_1700000104"] == "2025-03-14T00:00:00+03:00"
    assert deal["UF_CRM_1700000105"] == "1" and deal["UF_CRM_1700000107"] == 0.0
    assert result.sent["expected_close_date"] == "2025-03-14T00:00:00+03:00"


def test_find_by_phone_then_write_with_oauth(server: Bitrix24Server):
    crm = by_oauth(server)
    deal = crm.find_deal(phone="8 (495) 123-45-67")
    assert deal == "15"
    assert crm.write(deal, [proposal("deal_stage_suggestion", "qualification")]).ok
    assert server.deals["15"]["UF_CRM_1700000102"] == "45"
    with pytest.raises(DealNotFound, match="no deal 99"):
        crm.find_deal(deal_id="99")
    crm.close()


def test_expired_token_is_refreshed_through_the_oauth_server(server: Bitrix24Server):
    saved: list[Bitrix24Connection] = []
    crm = by_oauth(server, saved)
    server.expire_access_token()
    assert crm.write("12", [proposal("budget", "700 RUB")]).ok
    crm.close()
    assert server.refreshes == 1 and server.deals["12"]["OPPORTUNITY"] == "700.00"
    assert [c.refresh_token.get_secret_value() for c in saved if c.refresh_token] == [server.refresh_token]
    assert ("POST", "/oauth/token/") in server.seen


def test_a_field_the_portal_ignores_is_flagged_as_a_mismatch(server: Bitrix24Server):
    crm = by_webhook(server)
    result = crm.write("12", [proposal("next_step", "Отправить КП"), proposal("budget", "10 RUB")])
    crm.close()
    assert result.verified and not result.ok
    assert [(m.field, m.sent, m.stored) for m in result.mismatches] == [("next_step", "Отправить КП", None)]


def test_query_limit_exceeded_is_waited_out(server: Bitrix24Server):
    server.fail_next(Answer(503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}))
    crm = by_webhook(server)
    started = time.monotonic()
    assert crm.read_deal("12") is not None
    assert time.monotonic() - started >= 1.0
    assert server.calls_to("crm.deal.get") == 2
    crm.close()


def test_the_leaky_bucket_is_respected(server: Bitrix24Server):
    server.bucket = 2
    greedy = by_webhook(server, burst=50, requests_per_s=50)
    for _ in range(4):
        assert greedy.read_deal("12") is not None
    greedy.close()
    assert server.calls_to("crm.deal.get") > 4  # the portal refused some and they were sent again
    time.sleep(1.0)
    before = server.calls_to("crm.deal.get")
    polite = by_webhook(server, burst=1, requests_per_s=2)
    for _ in range(4):
        assert polite.read_deal("12") is not None
    polite.close()
    assert server.calls_to("crm.deal.get") - before == 4


def test_blocked_method_and_server_errors_are_retryable_access_denied_is_not(server: Bitrix24Server):
    crm = by_webhook(server)
    server.fail_next(Answer(503, {"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked"}))
    with pytest.raises(RetryableCRMError) as blocked:
        crm.read_deal("12")
    assert blocked.value.retry_after_s == 600
    server.fail_next(Answer(500, {"error": "INTERNAL_SERVER_ERROR", "error_description": "Internal error"}))
    with pytest.raises(RetryableCRMError, match="500 INTERNAL_SERVER_ERROR"):
        crm.read_deal("12")
    server.fail_next(Answer(403, {"error": "ACCESS_DENIED", "error_description": "Access denied"}))
    with pytest.raises(PermanentCRMError, match="ACCESS_DENIED") as denied:
        crm.write("12", [proposal("budget", "1 RUB")])
    assert not isinstance(denied.value, RetryableCRMError)
    crm.close()


def test_a_revoked_webhook_is_an_auth_error(server: Bitrix24Server):
    crm = Bitrix24Adapter(Bitrix24Connection(webhook_url=SecretStr(f"{server.url}/rest/1/revoked-code/")), FIELD_MAP)
    with pytest.raises(CRMAuthError, match="INVALID_CREDENTIALS"):
        crm.read_deal("12")
    crm.close()


def test_call_is_registered_finished_with_its_recording_and_summarised(server: Bitrix24Server):
    crm = by_webhook(server)
    call_id = crm.log_call("12", call_log("+7 495 123-45-67", rep_crm_user_id="9"))
    crm.close()
    call = server.calls[call_id]
    assert call["register"]["TYPE"] == 1 and call["register"]["CRM_ENTITY_ID"] == "12"
    assert call["register"]["USER_ID"] == 9 and call["register"]["CRM_CREATE"] == 0
    assert call["finish"]["DURATION"] == 274
    assert call["record"]["RECORD_URL"].endswith("pbx-8841.mp3") and call["record"]["FILENAME"] == "pbx-8841.mp3"
    assert server.comments == [{"ENTITY_ID": 12, "ENTITY_TYPE": "deal", "COMMENT": call_log("").summary}]


def test_webhook_secret_and_tokens_never_reach_the_logs(server: Bitrix24Server, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.DEBUG):
        hook = by_webhook(server)
        hook.write("12", [proposal("budget", "5 RUB")])
        hook.close()
        saved: list[Bitrix24Connection] = []
        oauth = by_oauth(server, saved)
        old = [server.access_token, server.refresh_token]
        server.expire_access_token()
        oauth.write("12", [proposal("budget", "6 RUB")])
        oauth.close()
    assert "HTTP Request: POST" in caplog.text and "crm.deal.update.json" in caplog.text
    shown = caplog.text + repr(hook) + repr(oauth) + repr(saved) + repr(hook.connection)
    for secret in [server.webhook_code, server.client_secret, server.access_token, server.refresh_token, *old]:
        assert secret not in shown
