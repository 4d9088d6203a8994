"""Recording downloads against a real HTTP server on loopback, and the address checks that keep them off it."""

import asyncio
import base64
import io
import socket
import threading
import time
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from ingest.download import DownloadError, DownloadUnavailable, address_refusal, download_recording, host_allowed
from models import IncomingCall
from pipeline.settings import Settings


def wav_bytes() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x01" * 800)
    return out.getvalue()


WAV = wav_bytes()


class Recordings(BaseHTTPRequestHandler):
    """A PBX's recording server, with every way a download can go wrong."""

    protocol_version = "HTTP/1.1"
    stop = threading.Event()

    def _send(self, status: int, body: bytes = b"", content_type: str = "audio/wav", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/call.wav":
            self._send(200, WAV)
        elif path == "/recording":
            self._send(200, WAV, content_type="audio/mpeg")
        elif path == "/host":
            self._send(200, self.headers["Host"].encode(), content_type="application/octet-stream")
        elif path == "/private.wav":
            expected = "Basic " + base64.b64encode(b"AC1:token").decode()
            if self.headers.get("Authorization") == expected:
                self._send(200, WAV)
            else:
                self._send(401, b"{}", content_type="application/json")
        elif path == "/presigned":
            # Storage behind a redirect refuses requests that carry a second set of credentials.
            self._send(400 if "Authorization" in self.headers else 200, WAV)
        elif path == "/to-presigned":
            self._send(302, Location=f"http://localhost:{self.server.server_port}/presigned")
        elif path == "/moved":
            self._send(302, Location="/call.wav")
        elif path == "/loop":
            self._send(302, Location="/loop")
        elif path == "/away":
            self._send(302, Location="https://elsewhere.example/call.wav")
        elif path == "/big":
            self._send(200, WAV * 10)
        elif path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(WAV * 10)
            self.close_connection = True
        elif path == "/empty":
            self._send(200, b"")
        elif path == "/unavailable":
            self._send(503, b"busy", content_type="audio/wav")
        elif path == "/error.json":
            self._send(200, b'{"result": 4001, "message": "record not found"}', content_type="application/json")
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            while not self.stop.is_set():
                try:
                    self.wfile.write(b"\x00" * 16)
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.05)
        else:
            self._send(404, b"not found", content_type="text/plain")

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if self.path == "/vpbx/queries/recording/post" and form.get("action") == ["download"]:
            self._send(302, Location="/recording")
        else:
            self._send(400, b"bad query", content_type="text/plain")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recordings)
    httpd.daemon_threads = True
    Recordings.stop.clear()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    Recordings.stop.set()
    httpd.shutdown()
    httpd.server_close()


def make_settings(**values: Any) -> Settings:
    defaults: dict[str, Any] = {
        "download_hosts": ["127.0.0.1", "localhost"],
        "download_allow_private": True,
        "download_timeout_s": 5,
        "download_max_bytes": len(WAV) * 2,
    }
    return Settings(_env_file=None, **(defaults | values))


def download(url: str, tmp_path: Path, settings: Settings | None = None, **fields: Any) -> Path:
    incoming = IncomingCall(provider="webhook", external_id="c1", recording_url=url, **fields)
    return asyncio.run(download_recording(incoming, settings or make_settings(), tmp_path))


def failure(
    url: str, tmp_path: Path, settings: Settings | None = None, **fields: Any
) -> DownloadError | DownloadUnavailable:
    with pytest.raises((DownloadError, DownloadUnavailable)) as caught:
        download(url, tmp_path, settings, **fields)
    assert list(tmp_path.iterdir()) == [], "a failed download leaves no file behind"
    return caught.value


def test_a_recording_is_downloaded_under_its_own_name(server: str, tmp_path: Path) -> None:
    path = download(f"{server}/call.wav", tmp_path)
    assert path == tmp_path / "call.wav"
    assert path.read_bytes() == WAV


def test_a_redirect_within_allowed_hosts_is_followed(server: str, tmp_path: Path) -> None:
    assert download(f"{server}/moved", tmp_path).read_bytes() == WAV


def test_credentials_go_to_their_origin_only(server: str, tmp_path: Path) -> None:
    assert download(f"{server}/private.wav", tmp_path, recording_auth=("AC1", "token")).read_bytes() == WAV
    # The redirect leaves the origin the credentials were given for, so they are not sent on.
    assert download(f"{server}/to-presigned", tmp_path, recording_auth=("AC1", "token")).read_bytes() == WAV


def test_a_signed_form_is_posted_and_its_redirect_fetched(server: str, tmp_path: Path) -> None:
    form = {"vpbx_api_key": "k", "sign": "s", "json": "{}", "action": "download"}
    path = download(f"{server}/vpbx/queries/recording/post", tmp_path, recording_form=form)
    assert path.name == "recording.mp3"
    assert path.read_bytes() == WAV


def test_http_errors_are_told_apart_from_upstream_failures(server: str, tmp_path: Path) -> None:
    error = failure(f"{server}/nothing-here.wav", tmp_path)
    assert (error.status_code, error.reason) == (422, "127.0.0.1 answered 404 Not Found")
    error = failure(f"{server}/unavailable", tmp_path)
    assert (error.status_code, error.reason) == (502, "127.0.0.1 answered 503 Service Unavailable")
    error = failure(f"{server}/private.wav", tmp_path)
    assert error.status_code == 422 and "401" in error.reason


def test_an_answer_that_is_not_audio_is_refused_with_what_it_said(server: str, tmp_path: Path) -> None:
    error = failure(f"{server}/error.json", tmp_path)
    assert error.status_code == 422
    assert "application/json instead of audio" in error.reason and "record not found" in error.reason


def test_empty_and_oversized_recordings_are_refused(server: str, tmp_path: Path) -> None:
    assert failure(f"{server}/empty", tmp_path).reason == "127.0.0.1 answered with an empty body"
    error = failure(f"{server}/big", tmp_path)
    assert error.status_code == 422 and f"{len(WAV) * 10} bytes, over the" in error.reason
    error = failure(f"{server}/big-unannounced", tmp_path)
    assert error.status_code == 422 and "over the" in error.reason


def test_a_body_that_never_ends_runs_into_the_time_limit(server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    error = failure(f"{server}/slow", tmp_path, make_settings(download_timeout_s=1, download_max_bytes=10**9))
    assert (error.status_code, error.reason) == (502, "download from 127.0.0.1 took over 1 s")
    assert time.monotonic() - started < 4


def test_redirects_are_checked_and_limited(server: str, tmp_path: Path) -> None:
    error = failure(f"{server}/away", tmp_path)
    assert (error.status_code, error.reason) == (422, "recording host elsewhere.example is not in download_hosts")
    assert failure(f"{server}/loop", tmp_path).reason == "more than 3 redirects"


def test_hosts_must_be_configured_and_listed(server: str, tmp_path: Path) -> None:
    error = failure(f"{server}/call.wav", tmp_path, make_settings(download_hosts=[]))
    assert error.reason == "no download hosts are configured (CALLINTEL_DOWNLOAD_HOSTS)"
    error = failure("https://recordings.example.org/call.wav", tmp_path)
    assert error.reason == "recording host recordings.example.org is not in download_hosts"
    assert failure("ftp://127.0.0.1/call.wav", tmp_path).reason == "recording URL scheme 'ftp' is not http or https"


def test_host_patterns() -> None:
    patterns = ["*.twilio.com", "PBX.Example.com", "[::1]"]
    assert host_allowed("api.twilio.com", patterns)
    assert host_allowed("a.b.twilio.com", patterns)
    assert not host_allowed("twilio.com", patterns)
    assert not host_allowed("eviltwilio.com", patterns)
    assert host_allowed("pbx.example.com.", patterns)
    assert not host_allowed("pbx.example.com.evil.net", patterns)
    assert host_allowed("::1", patterns)


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.10", "private"),
        ("172.16.0.1", "private"),
        ("[fd00::1]", "private"),
        ("169.254.169.254", "link-local"),
        ("[fe80::1]", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),
    ],
)
def test_inner_addresses_are_refused_unless_allowed(host: str, why: str, tmp_path: Path) -> None:
    bare = host.strip("[]")
    settings = make_settings(download_hosts=[bare], download_allow_private=False)
    error = failure(f"http://{host}:9/call.wav", tmp_path, settings)
    assert error.status_code == 422
    assert error.reason.startswith(f"{bare} resolves to ") and f"({why})" in error.reason


def test_public_addresses_pass() -> None:
    assert address_refusal("93.184.216.34") is None
    assert address_refusal("2606:2800:220:1:248:1893:25c8:1946") is None


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Resolve chosen names to chosen addresses, as a DNS server an attacker controls would."""
    table: dict[str, str] = {}
    real = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: asyncio.BaseEventLoop, host: str, port: int, **kwargs: Any) -> list[Any]:
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return await real(self, host, port, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return table


def test_a_name_that_resolves_inward_is_refused(names: dict[str, str], tmp_path: Path) -> None:
    names["recordings.example.net"] = "127.0.0.1"
    settings = make_settings(download_hosts=["recordings.example.net"], download_allow_private=False)
    error = failure("http://recordings.example.net/call.wav", tmp_path, settings)
    assert error.reason.startswith("recordings.example.net resolves to 127.0.0.1 (loopback)")


def test_the_connection_goes_to_the_checked_address_under_the_requested_name(
    server: str, names: dict[str, str], tmp_path: Path
) -> None:
    names["pbx.example.net"] = "127.0.0.1"
    port = server.rsplit(":", 1)[1]
    settings = make_settings(download_hosts=["pbx.example.net"])
    path = download(f"http://pbx.example.net:{port}/host", tmp_path, settings)
    assert path.read_bytes() == f"pbx.example.net:{port}".encode()
