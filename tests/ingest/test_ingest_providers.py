"""Twilio, MANGO OFFICE, the generic webhook and bucket events: requests signed as each documents them."""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from ingest.providers import mango, s3_event, twilio, webhook
from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest
from models import CallDirection, IncomingCall
from pipeline.settings import Settings


def make_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def rejected(call: Any, *args: Any) -> RejectedRequest:
    with pytest.raises(RejectedRequest) as caught:
        call(*args)
    return caught.value


# --- Twilio -----------------------------------------------------------------------------------------------------


def test_twilio_signature_matches_the_documented_examples() -> None:
    # The examples of Twilio's request validation docs and its helper libraries' tests (auth token 12345).
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    fields = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    assert twilio.expected_signature(url, fields, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
    assert twilio.expected_signature(url, repeated, "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


TWILIO_TOKEN = "twilio-auth-token"
TWILIO_FIELDS = {
    "AccountSid": "AC00000000000000000000000000000001",
    "CallSid": "CA00000000000000000000000000000002",
    "RecordingSid": "RE00000000000000000000000000000003",
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE3",
    "RecordingStatus": "completed",
    "RecordingChannels": "2",
    "RecordingDuration": "42",
    "RecordingStartTime": "Mon, 22 Aug 2011 20:58:45 +0000",
}


def twilio_request(
    fields: dict[str, str], signed_url: str, token: str = TWILIO_TOKEN, **headers: str
) -> ProviderRequest:
    signature = twilio.expected_signature(signed_url, list(fields.items()), token)
    return ProviderRequest(
        method="POST",
        url="http://10.0.0.5:8000/ingest/twilio",
        headers={"x-twilio-signature": signature} | headers,
        body=urlencode(fields).encode(),
    )


def test_twilio_completed_recording_is_a_call_signed_for_the_public_url() -> None:
    settings = make_settings(twilio_auth_token=TWILIO_TOKEN, public_url="https://calls.example.com/")
    incoming = twilio.parse(twilio_request(TWILIO_FIELDS, "https://calls.example.com/ingest/twilio"), settings)
    assert isinstance(incoming, IncomingCall)
    assert incoming.provider == "twilio"
    assert incoming.external_id == f"{TWILIO_FIELDS['CallSid']}/{TWILIO_FIELDS['RecordingSid']}"
    assert incoming.recording_url == TWILIO_FIELDS["RecordingUrl"] + ".wav?RequestedChannels=2"
    assert incoming.recording_auth == (TWILIO_FIELDS["AccountSid"], TWILIO_TOKEN)
    assert incoming.info.call_id == TWILIO_FIELDS["CallSid"]
    assert incoming.info.started_at == datetime(2011, 8, 22, 20, 58, 45, tzinfo=UTC)
    assert incoming.info.channels is None


def test_twilio_without_public_url_checks_the_request_url() -> None:
    settings = make_settings(twilio_auth_token=TWILIO_TOKEN)
    fields = TWILIO_FIELDS | {"RecordingChannels": "1"}
    incoming = twilio.parse(twilio_request(fields, "http://10.0.0.5:8000/ingest/twilio"), settings)
    assert isinstance(incoming, IncomingCall)
    assert incoming.recording_url == TWILIO_FIELDS["RecordingUrl"] + ".wav"


def test_twilio_refuses_a_wrong_or_missing_signature() -> None:
    settings = make_settings(twilio_auth_token=TWILIO_TOKEN, public_url="https://calls.example.com")
    wrong = twilio_request(TWILIO_FIELDS, "https://calls.example.com/ingest/twilio", token="another-token")
    error = rejected(twilio.parse, wrong, settings)
    assert error.status_code == 401
    assert "X-Twilio-Signature does not match" in error.reason
    assert "https://calls.example.com/ingest/twilio" in error.reason

    tampered = twilio_request(TWILIO_FIELDS, "https://calls.example.com/ingest/twilio")
    tampered = ProviderRequest("POST", tampered.url, tampered.headers, tampered.body.replace(b"RE000", b"RE999"))
    assert rejected(twilio.parse, tampered, settings).status_code == 401

    unsigned = ProviderRequest("POST", "http://x/ingest/twilio", {}, urlencode(TWILIO_FIELDS).encode())
    error = rejected(twilio.parse, unsigned, settings)
    assert (error.status_code, error.reason) == (401, "missing X-Twilio-Signature header")


def test_twilio_acknowledges_a_recording_that_is_not_completed() -> None:
    settings = make_settings(twilio_auth_token=TWILIO_TOKEN)
    fields = TWILIO_FIELDS | {"RecordingStatus": "absent"}
    result = twilio.parse(twilio_request(fields, "http://10.0.0.5:8000/ingest/twilio"), settings)
    assert result == Ignored(f"recording {TWILIO_FIELDS['RecordingSid']} is absent")


def test_twilio_refuses_other_accounts_malformed_callbacks_and_an_unconfigured_token() -> None:
    settings = make_settings(twilio_auth_token=TWILIO_TOKEN, twilio_account_sid="AC_mine")
    error = rejected(twilio.parse, twilio_request(TWILIO_FIELDS, "http://10.0.0.5:8000/ingest/twilio"), settings)
    assert error.status_code == 403 and "AccountSid" in error.reason

    settings = make_settings(twilio_auth_token=TWILIO_TOKEN)
    fields = {name: value for name, value in TWILIO_FIELDS.items() if name != "RecordingSid"}
    error = rejected(twilio.parse, twilio_request(fields, "http://10.0.0.5:8000/ingest/twilio"), settings)
    assert (error.status_code, error.reason) == (422, "missing RecordingSid")

    error = rejected(twilio.parse, twilio_request(TWILIO_FIELDS, "http://x"), make_settings())
    assert error.status_code == 403 and "not configured" in error.reason


# --- MANGO OFFICE -----------------------------------------------------------------------------------------------

MANGO_KEY, MANGO_SALT = "vpbx-key", "vpbx-salt"
MANGO_EVENT = {
    "entry_id": "MTAwMDU3NTkzOjUwMjo2MjU4MzgzNA==",
    "product_id": 400012345,
    "user_id": 400054321,
    "recording_id": "MToxMDA1NzU5Mzo0ODE6NjI0MzQ2NjU4",
    "timestamp": 1716543210,
}


def mango_request(payload: str, key: str = MANGO_KEY, salt: str = MANGO_SALT) -> ProviderRequest:
    sign = hashlib.sha256((key + payload + salt).encode()).hexdigest()
    body = urlencode({"vpbx_api_key": key, "sign": sign, "json": payload}).encode()
    return ProviderRequest("POST", "http://x/ingest/mango/events/record/added", {}, body)


MANGO_SETTINGS = {"mango_api_key": MANGO_KEY, "mango_api_salt": MANGO_SALT}


def test_mango_record_added_is_a_call_fetched_by_a_signed_api_query() -> None:
    incoming = mango.parse_record_added(mango_request(json.dumps(MANGO_EVENT)), make_settings(**MANGO_SETTINGS))
    assert incoming.provider == "mango"
    assert incoming.external_id == f"{MANGO_EVENT['entry_id']}/{MANGO_EVENT['recording_id']}"
    assert incoming.recording_url == "https://app.mango-office.ru/vpbx/queries/recording/post"
    form = incoming.recording_form
    assert form is not None
    assert json.loads(form["json"]) == {"recording_id": MANGO_EVENT["recording_id"], "action": "download"}
    assert form["vpbx_api_key"] == MANGO_KEY
    assert form["sign"] == hashlib.sha256((MANGO_KEY + form["json"] + MANGO_SALT).encode()).hexdigest()
    assert incoming.info.call_id == MANGO_EVENT["entry_id"]


def test_mango_api_url_is_a_setting() -> None:
    settings = make_settings(**MANGO_SETTINGS, mango_api_url="https://mango.internal/")
    incoming = mango.parse_record_added(mango_request(json.dumps(MANGO_EVENT)), settings)
    assert incoming.recording_url == "https://mango.internal/vpbx/queries/recording/post"


def test_mango_refuses_a_wrong_key_or_sign() -> None:
    settings = make_settings(**MANGO_SETTINGS)
    error = rejected(mango.parse_record_added, mango_request(json.dumps(MANGO_EVENT), salt="guess"), settings)
    assert (error.status_code, error.reason) == (401, "sign does not match the json field")
    error = rejected(mango.parse_record_added, mango_request(json.dumps(MANGO_EVENT), key="other"), settings)
    assert error.status_code == 401 and "vpbx_api_key" in error.reason
    unsigned = ProviderRequest("POST", "http://x", {}, urlencode({"vpbx_api_key": MANGO_KEY, "json": "{}"}).encode())
    assert rejected(mango.parse_record_added, unsigned, settings).reason == "missing form field sign"


def test_mango_refuses_malformed_events_and_an_unconfigured_key() -> None:
    settings = make_settings(**MANGO_SETTINGS)
    error = rejected(mango.parse_record_added, mango_request("{not json"), settings)
    assert error.status_code == 422 and "not valid JSON" in error.reason
    event = {name: value for name, value in MANGO_EVENT.items() if name != "recording_id"}
    error = rejected(mango.parse_record_added, mango_request(json.dumps(event)), settings)
    assert (error.status_code, error.reason) == (422, "json.recording_id: required")
    error = rejected(mango.parse_record_added, mango_request(json.dumps(MANGO_EVENT)), make_settings())
    assert error.status_code == 403 and "not configured" in error.reason


# --- generic webhook --------------------------------------------------------------------------------------------

WEBHOOK_SECRET = "webhook-secret"
WEBHOOK_BODY = {
    "call_id": 987654,
    "recording_url": "https://pbx.example.com/rec/987654.wav",
    "direction": "inbound",
    "rep_extension": 101,
    "from_number": "+7 916 123-45-67",
    "to_number": "74951234567",
    "started_at": "2024-05-01T10:15:00+03:00",
    "timezone": "Europe/Moscow",
    "channels": "agent=1,customer=0",
    "crm_lead_id": 5551,
    "crm_deal_id": "D-77",
    "language": "ru",
}


def webhook_request(body: bytes, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> ProviderRequest:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"x-callintel-timestamp": stamp, "x-callintel-signature": f"sha256={digest}"}
    return ProviderRequest("POST", "http://x/ingest/webhook", headers, body)


def test_webhook_signed_body_is_a_call() -> None:
    settings = make_settings(webhook_secret=WEBHOOK_SECRET)
    incoming = webhook.parse(webhook_request(json.dumps(WEBHOOK_BODY).encode()), settings)
    assert isinstance(incoming, IncomingCall)
    assert (incoming.provider, incoming.external_id) == ("webhook", "987654")
    assert incoming.recording_url == WEBHOOK_BODY["recording_url"]
    info = incoming.info
    assert info.started_at is not None and info.started_at.utcoffset().total_seconds() == 3 * 3600
    assert (info.direction, info.rep_extension, info.crm_lead_id) == (CallDirection.inbound, "101", "5551")
    assert info.channels is not None and (info.channels.rep, info.channels.customer) == (1, 0)
    assert (info.timezone, info.language) == ("Europe/Moscow", "ru")


def test_webhook_refuses_wrong_missing_and_replayed_signatures() -> None:
    settings = make_settings(webhook_secret=WEBHOOK_SECRET, webhook_tolerance_s=300)
    body = json.dumps(WEBHOOK_BODY).encode()
    error = rejected(webhook.parse, webhook_request(body, secret="guess"), settings)
    assert (error.status_code, error.reason) == (401, "X-Callintel-Signature does not match the body")

    signed = webhook_request(body)
    altered = ProviderRequest("POST", signed.url, signed.headers, body.replace(b"987654", b"987655"))
    assert rejected(webhook.parse, altered, settings).status_code == 401

    unsigned = ProviderRequest("POST", "http://x", {"x-callintel-timestamp": str(int(time.time()))}, body)
    assert rejected(webhook.parse, unsigned, settings).reason == "missing X-Callintel-Signature header"
    no_stamp = ProviderRequest("POST", "http://x", {"x-callintel-signature": "sha256=00"}, body)
    assert rejected(webhook.parse, no_stamp, settings).reason == "missing X-Callintel-Timestamp header"

    for stamp, reason in ((int(time.time()) - 3600, "old"), (int(time.time()) + 3600, "in the future")):
        error = rejected(webhook.parse, webhook_request(body, timestamp=stamp), settings)
        assert error.status_code == 401 and reason in error.reason


def test_webhook_names_the_field_that_is_wrong() -> None:
    settings = make_settings(webhook_secret=WEBHOOK_SECRET)
    error = rejected(webhook.parse, webhook_request(b'{"call_id": "1",'), settings)
    assert error.status_code == 422 and "not valid JSON" in error.reason
    cases = {
        "started_at": "2024-05-01T10:15:00",
        "channels": "agent=1",
        "direction": "sideways",
        "timezone": "Mars/Olympus",
        "language": "de",
        "from_number": ["+7"],
    }
    for field, value in cases.items():
        body = json.dumps(WEBHOOK_BODY | {field: value}).encode()
        error = rejected(webhook.parse, webhook_request(body), settings)
        assert error.status_code == 422 and error.reason.startswith(f"{field}:"), error.reason
    body = json.dumps({k: v for k, v in WEBHOOK_BODY.items() if k != "call_id"}).encode()
    assert rejected(webhook.parse, webhook_request(body), settings).reason == "call_id: required"
    assert rejected(webhook.parse, webhook_request(b"[1, 2]"), settings).status_code == 422


def test_webhook_without_a_recording_is_acknowledged_and_unconfigured_is_refused() -> None:
    body = json.dumps({"call_id": "c1"}).encode()
    result = webhook.parse(webhook_request(body), make_settings(webhook_secret=WEBHOOK_SECRET))
    assert result == Ignored("call c1 has no recording_url")
    error = rejected(webhook.parse, webhook_request(body), make_settings())
    assert error.status_code == 403 and "not configured" in error.reason


# --- S3 / MinIO bucket notifications ----------------------------------------------------------------------------


def minio_record(event_name: str, key: str, size: int = 1234) -> dict[str, Any]:
    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "eventName": event_name,
        "s3": {
            "bucket": {"name": "calls"},
            "object": {"key": key, "size": size, "eTag": "d41d8cd98f00b204e9800998ecf8427e"},
        },
    }


def s3_request(event: Any, token: str | None = "events-token") -> ProviderRequest:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return ProviderRequest("POST", "http://x/ingest/s3", headers, json.dumps(event).encode())


def test_s3_created_objects_are_calls_and_other_events_are_not() -> None:
    event = {
        "EventName": "s3:ObjectCreated:Put",
        "Records": [
            minio_record("s3:ObjectCreated:Put", "team+a%2F2024-05%2Fcall+1.wav"),
            minio_record("s3:ObjectRemoved:Delete", "old.wav"),
            minio_record("ObjectCreated:CompleteMultipartUpload", "b.mp3", size=99),
        ],
    }
    calls = s3_event.parse(s3_request(event), make_settings(s3_events_token="events-token"))
    assert [(c.bucket, c.object_key, c.external_id, c.size_bytes) for c in calls] == [
        ("calls", "team a/2024-05/call 1.wav", "calls/team a/2024-05/call 1.wav", 1234),
        ("calls", "b.mp3", "calls/b.mp3", 99),
    ]
    assert all(c.provider == "s3" and c.recording_url is None for c in calls)


def test_s3_test_event_gives_no_calls() -> None:
    assert s3_event.parse(s3_request({}), make_settings(s3_events_token="events-token")) == []


def test_s3_refuses_wrong_tokens_malformed_events_and_an_unconfigured_token() -> None:
    settings = make_settings(s3_events_token="events-token")
    assert rejected(s3_event.parse, s3_request({}, token="guess"), settings).reason == "wrong bearer token"
    assert rejected(s3_event.parse, s3_request({}, token=None), settings).status_code == 401
    bad = ProviderRequest("POST", "http://x", {"authorization": "Bearer events-token"}, b"{")
    assert rejected(s3_event.parse, bad, settings).status_code == 422
    record = minio_record("s3:ObjectCreated:Put", "a.wav")
    del record["s3"]["bucket"]["name"]
    error = rejected(s3_event.parse, s3_request({"Records": [record]}), settings)
    assert (error.status_code, error.reason) == (422, "Records[0].s3.bucket.name: expected a non-empty string")
    assert rejected(s3_event.parse, s3_request({}), make_settings()).status_code == 403
