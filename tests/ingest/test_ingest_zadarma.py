"""Zadarma: notification signatures per event, the URL check, and the signed API query for a recording link."""

import asyncio
import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from ingest.download import DownloadError, DownloadUnavailable
from ingest.providers import zadarma
from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest
from models import CallDirection, IncomingCall
from pipeline.settings import Settings


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


def test_zadarma_inbound_call_end_is_a_call() -> None:
    signature = zadarma_signature(NOTIFY_END["caller_id"] + NOTIFY_END["called_did"] + NOTIFY_END["call_start"])
    settings = make_settings(**ZADARMA_SETTINGS)
    incoming = zadarma.parse(zadarma_request(NOTIFY_END, signature), settings)
    assert isinstance(incoming, IncomingCall)
    assert incoming.external_id == NOTIFY_END["pbx_call_id"]
    assert incoming.recording_url == "https://api.zadarma.com/v1/pbx/record/request/?call_id=1714547700.123456"
    info = incoming.info
    assert (info.direction, info.from_number, info.to_number) == (CallDirection.inbound, "79161234567", "74951234567")
    assert info.rep_extension == "101"


def test_zadarma_outbound_call_end_is_signed_over_its_own_fields() -> None:
    fields = {name: value for name, value in NOTIFY_END.items() if name != "called_did"}
    fields |= {"event": "NOTIFY_OUT_END", "destination": "79169876543"}
    signature = zadarma_signature(fields["internal"] + fields["destination"] + fields["call_start"])
    incoming = zadarma.parse(zadarma_request(fields, signature), make_settings(**ZADARMA_SETTINGS))
    assert isinstance(incoming, IncomingCall)
    assert (incoming.info.direction, incoming.info.to_number) == (CallDirection.outbound, "79169876543")

    inbound_formula = zadarma_signature(fields["caller_id"] + fields["destination"] + fields["call_start"])
    error = rejected(zadarma.parse, zadarma_request(fields, inbound_formula), make_settings(**ZADARMA_SETTINGS))
    assert (error.status_code, error.reason) == (401, "Signature does not match internal + destination + call_start")


def test_zadarma_record_ready_event_is_the_same_call() -> None:
    fields = {"event": "NOTIFY_RECORD", "pbx_call_id": "in_0123456789abcdef", "call_id_with_rec": "1714547700.1"}
    signature = zadarma_signature(fields["pbx_call_id"] + fields["call_id_with_rec"])
    incoming = zadarma.parse(zadarma_request(fields, signature), make_settings(**ZADARMA_SETTINGS))
    assert isinstance(incoming, IncomingCall)
    assert incoming.external_id == NOTIFY_END["pbx_call_id"]


def test_zadarma_ignores_unrecorded_calls_and_other_events() -> None:
    settings = make_settings(**ZADARMA_SETTINGS)
    fields = NOTIFY_END | {"is_recorded": "0"}
    signature = zadarma_signature(fields["caller_id"] + fields["called_did"] + fields["call_start"])
    assert zadarma.parse(zadarma_request(fields, signature), settings) == Ignored(
        "call in_0123456789abcdef was not recorded"
    )
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
    signature = zadarma_signature(NOTIFY_END["caller_id"] + NOTIFY_END["called_did"] + NOTIFY_END["call_start"])
    incoming = zadarma.parse(zadarma_request(NOTIFY_END, signature), settings)
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
