"""Zadarma: notification signatures per event, the URL check, and the signed API query for a recording link."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import delete, select

from ingest.download import DownloadError, DownloadUnavailable
from ingest.providers import zadarma
from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest
from models import IncomingCall
from pipeline.db import Call
from pipeline.settings import Settings
from tests.support.servers import Isolated
from tests.support.stored_calls import stub_runtime
from web.app import create_app


def make_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def rejected(call: Any, *args: Any) -> RejectedRequest:
    with pytest.raises(RejectedRequest) as caught:
        call(*args)
    return caught.value


ZADARMA_KEY, ZADARMA_SECRET = "zd-key", "zd-secret"
ZADARMA_SETTINGS = {"zadarma_api_key": ZADARMA_KEY, "zadarma_api_secret": ZADARMA_SECRET}
NOTIFY_END = {
    "event": "NOTIFY_END",
    "call_start": "2024-05-01 10:15:00",
    "pbx_call_id": "in_0123456789abcdef",
    "caller_id": "79161234567",
    "called_did": "74951234567",
    "internal": "101",
    "duration": "95",
    "disposition": "answered",
    "status_code": "16",
    "is_recorded": "1",
    "call_id_with_rec": "1714547700.123456",
}


def zadarma_signature(text: str, secret: str = ZADARMA_SECRET) -> str:
    # As Zadarma's own examples: base64_encode(hash_hmac('sha1', $text, $secret)), PHP's hex digest.
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest().encode()).decode()


def zadarma_request(fields: dict[str, str], signature: str | None) -> ProviderRequest:
    headers = {"signature": signature} if signature is not None else {}
    return ProviderRequest("POST", "http://x/ingest/zadarma", headers, urlencode(fields).encode())


def test_zadarma_call_end_is_checked_but_takes_nothing_in_since_its_call_id_is_unsigned() -> None:
    signature = zadarma_signature(NOTIFY_END["caller_id"] + NOTIFY_END["called_did"] + NOTIFY_END["call_start"])
    settings = make_settings(**ZADARMA_SETTINGS)
    assert zadarma.parse(zadarma_request(NOTIFY_END, signature), settings) == Ignored(
        "NOTIFY_END does not sign pbx_call_id; the call is taken in at its NOTIFY_RECORD"
    )


def test_zadarma_outbound_call_end_is_signed_over_its_own_fields() -> None:
    fields = {name: value for name, value in NOTIFY_END.items() if name != "called_did"}
    fields |= {"event": "NOTIFY_OUT_END", "destination": "79169876543"}
    signature = zadarma_signature(fields["internal"] + fields["destination"] + fields["call_start"])
    assert isinstance(zadarma.parse(zadarma_request(fields, signature), make_settings(**ZADARMA_SETTINGS)), Ignored)

    inbound_formula = zadarma_signature(fields["caller_id"] + fields["destination"] + fields["call_start"])
    error = rejected(zadarma.parse, zadarma_request(fields, inbound_formula), make_settings(**ZADARMA_SETTINGS))
    assert (error.status_code, error.reason) == (401, "Signature does not match internal + destination + call_start")


def test_zadarma_record_ready_event_is_the_same_call() -> None:
    fields = {"event": "NOTIFY_RECORD", "pbx_call_id": "in_0123456789abcdef", "call_id_with_rec": "1714547700.1"}
    signature = zadarma_signature(fields["pbx_call_id"] + fields["call_id_with_rec"])
    incoming = zadarma.parse(zadarma_request(fields, signature), make_settings(**ZADARMA_SETTINGS))
    assert isinstance(incoming, IncomingCall)
    assert incoming.external_id == NOTIFY_END["pbx_call_id"]
    assert incoming.recording_url == "https://api.zadarma.com/v1/pbx/record/request/?call_id=1714547700.1"
    assert incoming.info.rep_extension is None


def test_zadarma_ignores_other_events() -> None:
    settings = make_settings(**ZADARMA_SETTINGS)
    start = {"event": "NOTIFY_START", "caller_id": "1", "called_did": "2", "call_start": "x"}
    assert isinstance(zadarma.parse(zadarma_request(start, None), settings), Ignored)


def test_zadarma_refuses_a_wrong_or_missing_signature_and_an_unconfigured_secret() -> None:
    settings = make_settings(**ZADARMA_SETTINGS)
    wrong = zadarma_signature(NOTIFY_END["caller_id"] + NOTIFY_END["called_did"] + NOTIFY_END["call_start"], "guess")
    error = rejected(zadarma.parse, zadarma_request(NOTIFY_END, wrong), settings)
    assert (error.status_code, error.reason) == (401, "Signature does not match caller_id + called_did + call_start")
    error = rejected(zadarma.parse, zadarma_request(NOTIFY_END, None), settings)
    assert (error.status_code, error.reason) == (401, "missing Signature header")
    error = rejected(zadarma.parse, zadarma_request(NOTIFY_END, wrong), make_settings())
    assert error.status_code == 403 and "not configured" in error.reason


def test_zadarma_echo_answers_the_value_it_was_sent() -> None:
    settings = make_settings(**ZADARMA_SETTINGS)
    assert zadarma.echo(ProviderRequest("GET", "http://x/ingest/zadarma?zd_echo=a1B2c3"), settings) == "a1B2c3"
    error = rejected(zadarma.echo, ProviderRequest("GET", "http://x/ingest/zadarma?zd_echo=%3Cscript%3E"), settings)
    assert error.status_code == 400
    assert rejected(zadarma.echo, ProviderRequest("GET", "http://x/?zd_echo=a"), make_settings()).status_code == 403


class ApiHandler(BaseHTTPRequestHandler):
    """A stand-in for Zadarma's API: answers what the test set, and keeps the request it got."""

    answer: tuple[int, dict[str, Any]] = (200, {})
    seen: list[tuple[str, str | None]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        ApiHandler.seen.append((self.path, self.headers.get("Authorization")))
        status, body = ApiHandler.answer
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def zadarma_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ApiHandler)
    ApiHandler.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_zadarma_recording_link_comes_from_the_signed_api_query(zadarma_api: str) -> None:
    settings = make_settings(**ZADARMA_SETTINGS, zadarma_api_url=zadarma_api)
    fields = {"event": "NOTIFY_RECORD", "pbx_call_id": "in_0123456789abcdef", "call_id_with_rec": "1714547700.123456"}
    signature = zadarma_signature(fields["pbx_call_id"] + fields["call_id_with_rec"])
    incoming = zadarma.parse(zadarma_request(fields, signature), settings)
    assert isinstance(incoming, IncomingCall)
    ApiHandler.answer = (200, {"status": "success", "link": "https://records.zadarma.com/r/abc.mp3"})
    linked = asyncio.run(zadarma.with_recording_link(incoming, settings))
    assert linked.recording_url == "https://records.zadarma.com/r/abc.mp3"

    path, authorization = ApiHandler.seen[-1]
    query = "call_id=1714547700.123456&format=json"
    assert urlsplit(path).path == "/v1/pbx/record/request/"
    assert dict(parse_qsl(urlsplit(path).query)) == dict(parse_qsl(query))
    # Zadarma's client: base64(hex HMAC-SHA1 of method + sorted query + md5(query)), sent as "key:signature".
    expected = zadarma_signature("/v1/pbx/record/request/" + query + hashlib.md5(query.encode()).hexdigest())
    assert authorization == f"{ZADARMA_KEY}:{expected}"


def test_zadarma_link_errors_say_what_the_api_answered(zadarma_api: str) -> None:
    settings = make_settings(**ZADARMA_SETTINGS, zadarma_api_url=zadarma_api)
    incoming = IncomingCall(provider="zadarma", recording_url=f"{zadarma_api}/v1/pbx/record/request/?call_id=1")
    ApiHandler.answer = (404, {"status": "error", "message": "Record not found"})
    with pytest.raises(DownloadError) as caught:
        asyncio.run(zadarma.with_recording_link(incoming, settings))
    assert (caught.value.status_code, caught.value.reason) == (
        422,
        "Zadarma API gave no recording link: Record not found",
    )
    ApiHandler.answer = (503, {})
    with pytest.raises(DownloadUnavailable) as caught:
        asyncio.run(zadarma.with_recording_link(incoming, settings))
    assert caught.value.status_code == 502


class ZadarmaServer(BaseHTTPRequestHandler):
    """Zadarma's documented API on loopback: GET /v1/pbx/record/request/ (checked against the key's signature)
    answers a link to the recording, which this server also serves."""

    recording = b""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == zadarma.RECORD_REQUEST:
            query = urlencode(sorted(parse_qsl(parts.query)))
            expected = zadarma_signature(zadarma.RECORD_REQUEST + query + hashlib.md5(query.encode()).hexdigest())
            if self.headers.get("Authorization") != f"{ZADARMA_KEY}:{expected}":
                self._send(401, json.dumps({"status": "error", "message": "Not authorized"}).encode())
                return
            call_id = dict(parse_qsl(parts.query))["call_id"]
            link = f"http://127.0.0.1:{self.server.server_port}/records/{call_id}.wav"
            self._send(200, json.dumps({"status": "success", "link": link}).encode())
        else:
            self._send(200, ZadarmaServer.recording)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_captured_zadarma_signature_resent_with_another_call_id_or_rep_is_refused(
    isolated: Isolated, data_dir: Path
) -> None:
    ZadarmaServer.recording = (data_dir / "pyannote_sample.wav").read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), ZadarmaServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = isolated.settings.model_copy(
        update={
            "zadarma_api_key": ZADARMA_KEY,
            "zadarma_api_secret": SecretStr(ZADARMA_SECRET),
            "zadarma_api_url": f"http://127.0.0.1:{server.server_port}",
            "download_hosts": ["127.0.0.1"],
            "download_allow_private": True,
        }
    )
    runtime = stub_runtime(settings)
    client = TestClient(create_app(runtime))

    def post(fields: dict[str, str], signature: str) -> Any:
        return client.post("/ingest/zadarma", data=fields, headers={"Signature": signature})

    def calls() -> list[tuple[str | None, int | None]]:
        with runtime.db.session() as session:
            return [(c.external_id, c.rep_id) for c in session.scalars(select(Call))]

    try:
        # The end event as captured for rep 101's call, then sent again as another call of rep 102.
        captured = zadarma_signature(NOTIFY_END["caller_id"] + NOTIFY_END["called_did"] + NOTIFY_END["call_start"])
        assert post(NOTIFY_END, captured).status_code == 200
        forged = post(NOTIFY_END | {"pbx_call_id": "in_attacker", "internal": "102"}, captured)
        assert forged.status_code == 200 and "ignored" in forged.json()
        assert calls() == []

        record = {"event": "NOTIFY_RECORD", "pbx_call_id": NOTIFY_END["pbx_call_id"], "call_id_with_rec": "17145.1"}
        signature = zadarma_signature(record["pbx_call_id"] + record["call_id_with_rec"])
        taken = post(record, signature)
        assert taken.status_code == 202, taken.text
        assert calls() == [(NOTIFY_END["pbx_call_id"], None)]

        with runtime.db.session() as session:
            session.execute(delete(Call))  # deleted on request: a replay must not bring it back
        replayed = post(record, signature)
        assert replayed.status_code == 409 and "already taken" in replayed.json()["detail"]
        assert post(record | {"pbx_call_id": "in_attacker"}, signature).status_code == 401
        assert calls() == []

        guarded = TestClient(
            create_app(stub_runtime(settings.model_copy(update={"zadarma_allowed_sources": ["185.45.152.0/24"]})))
        )
        refused = guarded.post("/ingest/zadarma", data=record, headers={"Signature": signature})
        assert refused.status_code == 403 and "not taken from" in refused.json()["detail"]
    finally:
        server.shutdown()
        server.server_close()
        runtime.db.engine.dispose()
