"""The generic webhook adapter against a local HTTP receiver that verifies the HMAC signature with
pipeline.signing.verify and stores what it is sent (tests/support/crm_servers/webhook.py), not a mock object."""

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date

import pytest

from crm_fill.adapters import CRMAuthError, FieldMap, RetryableCRMError, WebhookAdapter, WebhookConnection
from crm_fill.adapters.http import CRMHttp, RateLimiter
from models import ProposalStatus
from pipeline.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.support.crm_servers.approvals import call_log, proposal
from tests.support.crm_servers.base import Answer
from tests.support.crm_servers.webhook import WebhookReceiver

SECRET = "whsec-team-7f3a"
FIELD_MAP = FieldMap.model_validate(
    {
        "crm": "webhook",
        "fields": [
            {"field": "budget", "crm_field": "deal.budget", "type": "money"},
            {"field": "expected_close_date", "crm_field": "deal.close_date", "type": "date"},
            {
                "field": "deal_stage_suggestion",
                "crm_field": "deal.stage",
                "type": "enum",
                "enum_ids": {"proposal": "S3"},
            },
            {"field": "competitors_mentioned", "crm_field": "deal.competitors", "type": "enum"},
            {"field": "next_step", "crm_field": "deal.next_step", "type": "string"},
        ],
    }
)


def signer(secret: str) -> Callable[[bytes], Mapping[str, str]]:
    def headers(body: bytes) -> Mapping[str, str]:
        now = int(time.time())
        return {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: sign(secret, now, body)}

    return headers


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(SECRET, {"deal.budget", "deal.close_date", "deal.stage", "deal.competitors"}).start()
    server.deals = {"D-2002": {"phone": "+79161234567", "fields": {}}}
    yield server
    server.stop()


@pytest.fixture
def adapter(receiver: WebhookReceiver) -> Iterator[WebhookAdapter]:
    crm = WebhookAdapter(WebhookConnection(url=f"{receiver.url}/crm-hook"), FIELD_MAP, sign=signer(SECRET))
    yield crm
    crm.close()


def test_signed_write_is_verified_by_the_receiver_and_read_back(adapter: WebhookAdapter, receiver: WebhookReceiver):
    result = adapter.write(
        "D-2002",
        [
            proposal("budget", "50000 RUB"),
            proposal("expected_close_date", date(2025, 3, 14)),
            proposal("deal_stage_suggestion", "proposal"),
            proposal("competitors_mentioned", ["amoCRM", "Bitrix24"]),
            proposal("next_step", "not approved yet", ProposalStatus.proposed),
        ],
    )
    assert receiver.refusals == []
    assert result.ok and set(result.sent) == {
        "budget",
        "expected_close_date",
        "deal_stage_suggestion",
        "competitors_mentioned",
    }
    assert receiver.deals["D-2002"]["fields"] == {
        "deal.budget": "50000 RUB",
        "deal.close_date": "2025-03-14",
        "deal.stage": "S3",
        "deal.competitors": ["amoCRM", "Bitrix24"],
    }


def test_find_by_phone_and_a_field_the_receiver_drops(adapter: WebhookAdapter, receiver: WebhookReceiver):
    deal = adapter.find_deal(phone="8 916 123-45-67")
    assert deal == "D-2002"
    result = adapter.write(deal, [proposal("next_step", "Send the contract")])
    assert [(m.field, m.stored) for m in result.mismatches] == [("next_step", None)]


def test_a_receiver_that_answers_nothing_leaves_the_write_unverified(receiver: WebhookReceiver):
    receiver.echo = False
    crm = WebhookAdapter(WebhookConnection(url=receiver.url), FIELD_MAP, sign=signer(SECRET))
    result = crm.write("D-2002", [proposal("budget", "10 RUB")])
    crm.close()
    assert not result.verified and not result.ok and result.mismatches == []
    assert receiver.deals["D-2002"]["fields"] == {"deal.budget": "10 RUB"}


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: WebhookReceiver):
    crm = WebhookAdapter(WebhookConnection(url=receiver.url), FIELD_MAP, sign=signer("another-secret"))
    with pytest.raises(CRMAuthError, match="refused the request \\(401\\)"):
        crm.write("D-2002", [proposal("budget", "10 RUB")])
    crm.close()
    assert receiver.refusals == [f"{SIGNATURE_HEADER} does not match the body"]
    assert receiver.deals["D-2002"]["fields"] == {}


def test_receiver_overload_is_retryable_with_its_retry_after(adapter: WebhookAdapter, receiver: WebhookReceiver):
    receiver.fail_next(Answer(503, {"error": "busy"}, {"Retry-After": "30"}))
    with pytest.raises(RetryableCRMError) as busy:
        adapter.write("D-2002", [proposal("budget", "10 RUB")])
    assert busy.value.retry_after_s == 30


def test_call_is_posted_with_its_recording_and_summary(adapter: WebhookAdapter, receiver: WebhookReceiver):
    assert adapter.log_call("D-2002", call_log("+79161234567")) == "call-1"
    [call] = receiver.calls
    assert call["call_id"] == "pbx-8841" and call["direction"] == "outbound" and call["duration_s"] == 274
    assert call["recording_url"].endswith("pbx-8841.mp3") and call["summary"].startswith("Клиент")


def test_a_receiver_too_slow_or_down_is_retryable(receiver: WebhookReceiver):
    http = CRMHttp("webhook", RateLimiter(100.0, 100), timeout_s=0.3)
    crm = WebhookAdapter(WebhookConnection(url=receiver.url), FIELD_MAP, sign=signer(SECRET), http=http)
    receiver.fail_next(Answer(200, {"deal_ids": ["D-2002"]}, delay_s=1.0))
    with pytest.raises(RetryableCRMError, match="no answer in time"):
        crm.find_deal(deal_id="D-2002")
    receiver.stop()
    with pytest.raises(RetryableCRMError, match="connection failed"):
        crm.find_deal(deal_id="D-2002")
    crm.close()
