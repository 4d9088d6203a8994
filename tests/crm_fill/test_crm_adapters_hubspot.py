"""The HubSpot adapter against a local HTTP server implementing HubSpot's documented CRM v3/v4 and OAuth
requests and answers (tests/support/crm_servers/hubspot.py), not a mock object."""

import logging
import time
from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import SecretStr

from crm_fill.adapters import (
    CRMAuthError,
    DealNotFound,
    FieldMap,
    HubSpotAdapter,
    HubSpotConnection,
    PermanentCRMError,
    RetryableCRMError,
)
from tests.support.crm_servers.approvals import call_log, proposal
from tests.support.crm_servers.base import Answer
from tests.support.crm_servers.hubspot import HubSpotServer

FIELD_MAP = FieldMap.model_validate(
    {
        "crm": "hubspot",
        "fields": [
            {"field": "budget", "crm_field": "amount", "type": "money"},
            {"field": "expected_close_date", "crm_field": "closedate_expected", "type": "date"},
            {
                "field": "competitors_mentioned",
                "crm_field": "competitors",
                "type": "enum",
                "enum_ids": {"Salesforce": "salesforce", "Pipedrive": "pipedrive", "amoCRM": "amocrm"},
            },
            {"field": "deal_stage_suggestion", "crm_field": "suggested_stage", "type": "enum"},
            {"field": "budget_confirmed", "crm_field": "budget_confirmed", "type": "bool"},
            {"field": "seats", "crm_field": "seats", "type": "number"},
        ],
    }
)


@pytest.fixture
def server() -> Iterator[HubSpotServer]:
    crm = HubSpotServer().start()
    crm.properties = {
        "amount": {"type": "number"},
        "closedate_expected": {"type": "date"},
        "competitors": {"type": "enumeration", "multiple": True, "options": ["salesforce", "pipedrive", "amocrm"]},
        "suggested_stage": {"type": "enumeration", "options": ["qualification", "proposal"]},
        "budget_confirmed": {"type": "bool"},
        "seats": {"type": "number"},
    }
    crm.deals = {"1001": {"dealname": "Acme rollout"}, "1002": {"dealname": "Acme renewal"}}
    crm.contacts = {"51": {"phone": "+14155550100", "deals": ["1001", "1002"]}}
    yield crm
    crm.stop()


def private_app(server: HubSpotServer) -> HubSpotAdapter:
    return HubSpotAdapter(HubSpotConnection(api_url=server.url, access_token=SecretStr(server.access_token)), FIELD_MAP)


def oauth(server: HubSpotServer, saved: list[HubSpotConnection] | None = None) -> HubSpotAdapter:
    connection = HubSpotConnection(
        api_url=server.url,
        access_token=SecretStr(server.access_token),
        refresh_token=SecretStr(server.refresh_token),
        client_id=server.client_id,
        client_secret=SecretStr(server.client_secret),
    )
    return HubSpotAdapter(connection, FIELD_MAP, on_tokens=saved.append if saved is not None else None)


def test_write_by_deal_id_spells_values_as_hubspot_properties(server: HubSpotServer):
    crm = private_app(server)
    result = crm.write(
        "1001",
        [
            proposal("budget", "48000 USD"),
            proposal("expected_close_date", date(2025, 6, 30)),
            proposal("competitors_mentioned", ["Salesforce", "amoCRM"]),
            proposal("deal_stage_suggestion", "proposal"),
            proposal("budget_confirmed", False),
            proposal("seats", 25.0),
        ],
    )
    crm.close()
    assert result.ok, result.mismatches
    assert server.deals["1001"] == {
        "dealname": "Acme rollout",
        "amount": "48000",
        "closedate_expected": "2025-06-30",
        "competitors": "salesforce;amocrm",
        "suggested_stage": "proposal",
        "budget_confirmed": "false",
        "seats": "25",
    }


def test_find_by_phone_then_write(server: HubSpotServer):
    crm = private_app(server)
    deal = crm.find_deal(phone="+1 (415) 555-0100")
    assert deal == "1002"
    assert crm.write(deal, [proposal("budget", "100 USD")]).ok
    assert server.deals["1002"]["amount"] == "100"
    with pytest.raises(DealNotFound):
        crm.find_deal(phone="+1 415 555 0199")
    crm.close()


def test_oauth_token_is_refreshed_on_401_and_a_private_app_token_is_not(server: HubSpotServer):
    saved: list[HubSpotConnection] = []
    crm = oauth(server, saved)
    server.expire_access_token()
    assert crm.write("1001", [proposal("seats", 3.0)]).ok
    crm.close()
    assert server.refreshes == 1 and [c.access_token.get_secret_value() for c in saved] == [server.access_token]
    stale = HubSpotAdapter(HubSpotConnection(api_url=server.url, access_token=SecretStr("pat-na1-stale")), FIELD_MAP)
    with pytest.raises(CRMAuthError, match="access token was refused"):
        stale.write("1001", [proposal("seats", 4.0)])
    stale.close()
    assert server.refreshes == 1


def test_secondly_limit_is_waited_out_daily_limit_goes_back_to_the_outbox(server: HubSpotServer):
    crm = private_app(server)
    limited = {"status": "error", "message": "You have reached your secondly limit.", "errorType": "RATE_LIMIT"}
    server.fail_next(Answer(429, {**limited, "policyName": "SECONDLY"}), path_part="/deals/")
    started = time.monotonic()
    assert crm.write("1001", [proposal("seats", 7.0)]).ok
    assert time.monotonic() - started >= 1.0
    server.fail_next(Answer(429, {**limited, "message": "daily limit", "policyName": "DAILY"}))
    with pytest.raises(RetryableCRMError, match="DAILY") as daily:
        crm.write("1001", [proposal("seats", 8.0)])
    assert 0 < (daily.value.retry_after_s or 0) <= 86_400
    assert server.deals["1001"]["seats"] == "7"
    crm.close()


def test_invalid_option_is_a_permanent_validation_error(server: HubSpotServer):
    crm = private_app(server)
    with pytest.raises(PermanentCRMError, match=r"400 VALIDATION_ERROR: .*INVALID_OPTION: negotiation") as refused:
        crm.write("1001", [proposal("deal_stage_suggestion", "negotiation")])
    assert not isinstance(refused.value, RetryableCRMError)
    with pytest.raises(DealNotFound):
        crm.write("999", [proposal("seats", 1.0)])
    with pytest.raises(DealNotFound, match=r"no deal \.\./contacts/51"):
        crm.find_deal(deal_id="../contacts/51")
    server.fail_next(Answer(503, {"status": "error", "message": "Service Unavailable"}))
    with pytest.raises(RetryableCRMError, match="503"):
        crm.read_deal("1001")
    crm.close()


def test_a_value_the_crm_stores_differently_is_flagged(server: HubSpotServer):
    crm = private_app(server)
    server.fail_next(Answer(200, {"id": "1001", "properties": {}}), path_part="/deals/1001")  # PATCH "succeeds"
    result = crm.write("1001", [proposal("seats", 12.0)])
    crm.close()
    assert [(m.field, m.sent, m.stored) for m in result.mismatches] == [("seats", "12", None)]


def test_call_object_is_created_on_the_deal(server: HubSpotServer):
    crm = private_app(server)
    call_id = crm.log_call("1001", call_log("+14155550100", rep_crm_user_id="3141"))
    crm.close()
    body = server.calls[call_id]
    assert body["associations"] == [
        {"to": {"id": "1001"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 206}]}
    ]
    properties = body["properties"]
    assert properties["hs_timestamp"] == "2025-02-19T11:05:00Z" and properties["hs_call_duration"] == "274000"
    assert properties["hs_call_direction"] == "OUTBOUND" and properties["hubspot_owner_id"] == "3141"
    assert properties["hs_call_recording_url"].endswith("pbx-8841.mp3")


def test_tokens_never_reach_the_logs(server: HubSpotServer, caplog: pytest.LogCaptureFixture):
    seen = [server.access_token, server.refresh_token, server.client_secret]
    with caplog.at_level(logging.DEBUG):
        crm = oauth(server)
        server.expire_access_token()
        crm.write("1001", [proposal("seats", 2.0)])
        seen.append(server.access_token)
        crm.close()
    assert "HTTP Request: PATCH" in caplog.text
    for secret in seen:
        assert secret not in caplog.text + repr(crm) + repr(crm.connection) + str(crm.connection)
