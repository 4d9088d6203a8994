"""The ingest router's HTTP layer: status codes, answers and what it hands to intake (intake and downloads faked)."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from ingest import api, intake
from ingest.download import DownloadError, DownloadUnavailable
from ingest.providers import twilio
from models import IncomingCall
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from web.app import RETRY_AFTER_S, create_app

SETTINGS: dict[str, Any] = {
    "webhook_secret": "webhook-secret",
    "twilio_auth_token": "twilio-token",
    "public_url": "https://calls.example.com",
    "mango_api_key": "vpbx-key",
    "mango_api_salt": "vpbx-salt",
    "zadarma_api_key": "zd-key",
    "zadarma_api_secret": "zd-secret",
    "s3_events_token": "events-token",
    "api_token": "api-token",
    "download_max_bytes": 1000,
}


class Intake:
    """Stands in for ingest.intake and keeps what the router handed it."""

    def __init__(self) -> None:
        self.existing: str | None = None
        self.unavailable = False
        self.taken: list[tuple[IncomingCall, bytes, str | None]] = []
        self.objects: list[IncomingCall] = []
        self.downloads: list[IncomingCall] = []

    def find_existing(self, incoming: IncomingCall, runtime: Runtime) -> str | None:
        return self.existing

    def take_in(self, incoming: IncomingCall, path: Path, runtime: Runtime, *, name: str | None = None) -> Any:
        if self.unavailable:
            raise intake.IntakeUnavailable("database", "could not connect to db.internal:5432")
        self.taken.append((incoming, path.read_bytes(), name))
        return intake.Intake(f"call-{len(self.taken)}", duplicate=False)

    def take_in_object(self, incoming: IncomingCall, runtime: Runtime) -> Any:
        if incoming.object_key == "gone.wav":
            raise intake.IntakeRejected(f"{incoming.bucket}/{incoming.object_key}: no such object")
        self.objects.append(incoming)
        return intake.Intake(f"object-{len(self.objects)}", duplicate=incoming.object_key == "seen.wav")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Intake:
    fake = Intake()
    monkeypatch.setattr(intake, "find_existing", fake.find_existing)
    monkeypatch.setattr(intake, "take_in", fake.take_in)
    monkeypatch.setattr(intake, "take_in_object", fake.take_in_object)

    async def download_recording(incoming: IncomingCall, settings: Settings, dest_dir: Path) -> Path:
        fake.downloads.append(incoming)
        if incoming.recording_url and "fail-" in incoming.recording_url:
            status = int(incoming.recording_url.rsplit("fail-", 1)[1])
            reason = f"pbx.example.com answered {status}"
            raise DownloadUnavailable(reason) if status >= 500 else DownloadError(reason)
        path = dest_dir / "call.wav"
        path.write_bytes(b"RIFF-audio")
        return path

    monkeypatch.setattr(api, "download_recording", download_recording)
    return fake


def client_for(**settings: Any) -> TestClient:
    # The whole app, so refusals go through its exception handlers as they do in production.
    return TestClient(create_app(Runtime(Settings(_env_file=None, **(SETTINGS | settings)))))


@pytest.fixture
def client() -> Iterator[TestClient]:
    with client_for() as test_client:
        yield test_client


def signed_webhook(body: dict[str, Any], secret: str = "webhook-secret") -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {"X-Callintel-Timestamp": stamp, "X-Callintel-Signature": f"sha256={digest}"}


def test_a_new_call_is_downloaded_taken_in_and_accepted(client: TestClient, fake: Intake) -> None:
    body, headers = signed_webhook({"call_id": "c1", "recording_url": "https://pbx.example.com/c1.wav"})
    response = client.post("/ingest/webhook", content=body, headers=headers)
    assert (response.status_code, response.json()) == (202, {"call_id": "call-1", "duplicate": False})
    [(incoming, audio, name)] = fake.taken
    assert (incoming.provider, incoming.external_id, audio, name) == ("webhook", "c1", b"RIFF-audio", "call.wav")


def test_a_known_call_is_a_duplicate_and_is_not_downloaded(client: TestClient, fake: Intake) -> None:
    fake.existing = "call-0"
    body, headers = signed_webhook({"call_id": "c1", "recording_url": "https://pbx.example.com/c1.wav"})
    response = client.post("/ingest/webhook", content=body, headers=headers)
    assert (response.status_code, response.json()) == (200, {"call_id": "call-0", "duplicate": True})
    assert fake.downloads == [] and fake.taken == []


def test_refusals_answer_with_the_reason(client: TestClient, fake: Intake) -> None:
    body, headers = signed_webhook({"call_id": "c1", "recording_url": "https://pbx.example.com/c1.wav"}, "guess")
    response = client.post("/ingest/webhook", content=body, headers=headers)
    assert (response.status_code, response.json()) == (401, {"detail": "X-Callintel-Signature does not match the body"})
    body, headers = signed_webhook({"call_id": "c1", "started_at": "yesterday"})
    response = client.post("/ingest/webhook", content=body, headers=headers)
    assert response.status_code == 422 and response.json()["detail"].startswith("started_at:")
    assert fake.downloads == [] and fake.taken == []


def test_an_announcement_with_nothing_to_take_in_is_acknowledged(client: TestClient, fake: Intake) -> None:
    body, headers = signed_webhook({"call_id": "c1"})
    response = client.post("/ingest/webhook", content=body, headers=headers)
    assert (response.status_code, response.json()) == (200, {"ignored": "call c1 has no recording_url"})


@pytest.mark.parametrize("status", [404, 503])
def test_download_failures_map_to_422_or_502(client: TestClient, fake: Intake, status: int) -> None:
    body, headers = signed_webhook({"call_id": "c1", "recording_url": f"https://pbx.example.com/fail-{status}"})
    response = client.post("/ingest/webhook", content=body, headers=headers)
    expected = 502 if status >= 500 else 422
    assert (response.status_code, response.json()) == (expected, {"detail": f"pbx.example.com answered {status}"})
    assert fake.taken == []


def test_intake_outage_asks_the_sender_to_retry_without_internal_detail(client: TestClient, fake: Intake) -> None:
    fake.unavailable = True
    body, headers = signed_webhook({"call_id": "c1", "recording_url": "https://pbx.example.com/c1.wav"})
    response = client.post("/ingest/webhook", content=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert response.json() == {"detail": "database unavailable, try again later"}


def test_an_oversized_callback_is_refused_unread(client: TestClient, fake: Intake) -> None:
    response = client.post("/ingest/webhook", content=b"x" * (api.MAX_BODY_BYTES + 1))
    assert response.status_code == 413


def test_twilio_callback_signed_for_the_public_url(client: TestClient, fake: Intake) -> None:
    fields = {
        "AccountSid": "AC1",
        "CallSid": "CA1",
        "RecordingSid": "RE1",
        "RecordingStatus": "completed",
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    }
    signature = twilio.expected_signature(
        "https://calls.example.com/ingest/twilio", list(fields.items()), "twilio-token"
    )
    response = client.post(
        "/ingest/twilio",
        content=urlencode(fields),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 202, response.text
    assert fake.downloads[0].recording_auth == ("AC1", "twilio-token")
    assert fake.taken[0][0].external_id == "CA1/RE1"


def test_mango_recording_event_is_taken_in_and_other_events_are_acknowledged(client: TestClient, fake: Intake) -> None:
    payload = json.dumps({"entry_id": "E1", "recording_id": "R1", "user_id": 7, "product_id": 1, "timestamp": 1})
    sign = hashlib.sha256(("vpbx-key" + payload + "vpbx-salt").encode()).hexdigest()
    form = {"vpbx_api_key": "vpbx-key", "sign": sign, "json": payload}
    response = client.post("/ingest/mango/events/record/added", data=form)
    assert response.status_code == 202, response.text
    assert fake.downloads[0].recording_form is not None
    response = client.post("/ingest/mango/events/call", data=form)
    assert response.status_code == 200
    assert len(fake.downloads) == 1


def test_zadarma_echo_and_a_recorded_call(client: TestClient, fake: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    response = client.get("/ingest/zadarma", params={"zd_echo": "abc123"})
    assert (response.status_code, response.text) == (200, "abc123")
    assert response.headers["content-type"].startswith("text/plain")

    async def with_recording_link(incoming: IncomingCall, settings: Settings) -> IncomingCall:
        return incoming.model_copy(update={"recording_url": "https://records.zadarma.com/abc.mp3"})

    monkeypatch.setattr(api.zadarma, "with_recording_link", with_recording_link)
    # A call of its own per run: the app's database outlives the test, and a signature already taken is refused.
    form = {"event": "NOTIFY_RECORD", "pbx_call_id": f"in_{uuid.uuid4().hex}", "call_id_with_rec": "1714547700.1"}
    text = form["pbx_call_id"] + form["call_id_with_rec"]
    digest = hmac.new(b"zd-secret", text.encode(), hashlib.sha1).hexdigest()
    response = client.post(
        "/ingest/zadarma", data=form, headers={"Signature": base64.b64encode(digest.encode()).decode()}
    )
    assert response.status_code == 202, response.text
    assert fake.downloads[0].recording_url == "https://records.zadarma.com/abc.mp3"


def test_bucket_events(client: TestClient, fake: Intake) -> None:
    def record(key: str) -> dict[str, Any]:
        return {"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": "calls"}, "object": {"key": key}}}

    auth = {"Authorization": "Bearer events-token"}
    response = client.post("/ingest/s3", json={"Records": [record("new.wav"), record("seen.wav")]}, headers=auth)
    assert response.status_code == 202
    assert response.json() == {
        "calls": [{"call_id": "object-1", "duplicate": False}, {"call_id": "object-2", "duplicate": True}]
    }
    assert [call.object_key for call in fake.objects] == ["new.wav", "seen.wav"]
    assert client.post("/ingest/s3", json={"EventName": "s3:TestEvent"}, headers=auth).json() == {"calls": []}
    assert client.post("/ingest/s3", json={}, headers={"Authorization": "Bearer guess"}).status_code == 401
    response = client.post("/ingest/s3", json={"Records": [record("gone.wav")]}, headers=auth)
    assert (response.status_code, response.json()) == (422, {"detail": "calls/gone.wav: no such object"})


def test_a_refusal_reads_the_same_to_a_browser_as_any_http_error(client: TestClient, fake: Intake) -> None:
    # One handler answers every refusal the way the app answers an HTTPException: a page for a browser.
    body, headers = signed_webhook({"call_id": "c1"}, "guess")
    response = client.post("/ingest/webhook", content=body, headers=headers | {"Accept": "text/html"})
    assert response.status_code == 401 and "text/html" in response.headers["content-type"]
    assert "X-Callintel-Signature does not match the body" in response.text


def test_upload_with_meta(client: TestClient, fake: Intake) -> None:
    meta = json.dumps({"call_id": "u1", "rep_extension": "101", "direction": "outbound"})
    response = client.post(
        "/ingest/upload",
        files={"file": ("../../etc/Call 1.wav", b"RIFF-upload", "audio/wav")},
        data={"meta": meta},
        headers={"Authorization": "Bearer api-token"},
    )
    assert (response.status_code, response.json()) == (202, {"call_id": "call-1", "duplicate": False})
    [(incoming, audio, name)] = fake.taken
    assert (incoming.provider, incoming.external_id, incoming.info.rep_extension) == ("upload", "u1", "101")
    assert (audio, name) == (b"RIFF-upload", "Call_1.wav")


def test_upload_refusals(client: TestClient, fake: Intake) -> None:
    files = {"file": ("a.wav", b"RIFF", "audio/wav")}
    assert client.post("/ingest/upload", files=files).status_code == 401
    response = client.post("/ingest/upload", files=files, headers={"Authorization": "Bearer guess"})
    assert response.status_code == 401
    auth = {"Authorization": "Bearer api-token"}
    response = client.post("/ingest/upload", files=files, data={"meta": "{"}, headers=auth)
    assert response.status_code == 422 and response.json()["detail"].startswith("meta is not valid JSON")
    response = client.post("/ingest/upload", files=files, data={"meta": '{"channels": "x"}'}, headers=auth)
    assert response.status_code == 422 and response.json()["detail"].startswith("meta: channels:")
    response = client.post("/ingest/upload", data={"meta": "{}"}, headers=auth)
    assert (response.status_code, response.json()) == (422, {"detail": "file: required (a multipart file field)"})
    response = client.post("/ingest/upload", files={"file": ("a.wav", b"x" * 5000, "audio/wav")}, headers=auth)
    assert response.status_code == 413
    assert fake.taken == []
    with client_for(api_token=None) as unconfigured:
        response = unconfigured.post("/ingest/upload", files=files, headers=auth)
    assert response.status_code == 403 and "not configured" in response.json()["detail"]
