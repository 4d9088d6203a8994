"""Intake against the real API process (`callintel serve` on real PostgreSQL, RabbitMQ and the S3 server): racing
uploads of one recording make one call, a chunked upload past the limit is cut off at the limit, a killed API's
spooled file is swept away, and bucket events naming the service's own objects or parent folders are refused."""

import contextlib
import json
import os
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from ingest.spool import clear_spool
from pipeline.db import Call, Recording
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.servers import Services, isolated_servers
from tests.support.service_harness import Process, start_api, wait_for

LIMIT = 2_000_000
AUTH = {"Authorization": "Bearer api-token"}


class FreezingProxy:
    """A TCP relay to a server that can be frozen: while frozen, nothing passes either way (a storage server that
    stopped answering mid-request)."""

    def __init__(self, target: str) -> None:
        host, port = target.split(":")
        self.target = (host, int(port))
        self.frozen = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for source, dest in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, dest), daemon=True).start()

    def _pump(self, source: socket.socket, dest: socket.socket) -> None:
        try:
            while data := source.recv(1 << 16):
                while self.frozen.is_set():
                    time.sleep(0.05)
                dest.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                sock.close()

    def close(self) -> None:
        self.listener.close()


@dataclass
class Api:
    settings: Settings
    runtime: Runtime
    url: str
    process: Process
    storage_relay: FreezingProxy


@pytest.fixture(scope="module")
def api(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("intake")
    with isolated_servers(services, home / "home") as iso:
        settings = Settings(
            **iso.settings.model_dump()
            | {
                "api_token": "api-token",
                "s3_events_token": "events-token",
                "s3_incoming_prefix": "incoming/",
                "download_max_bytes": LIMIT,
                "spool_dir": home / "spool",
            }
        )
        runtime = Runtime(settings)
        runtime.storage.ensure_bucket()  # type: ignore[attr-defined]
        # The API reaches the storage server through a relay the last test freezes.
        relay = FreezingProxy(settings.s3_endpoint)
        process, url = start_api(Settings(**settings.model_dump() | {"s3_endpoint": relay.endpoint}), home)
        try:
            yield Api(settings, runtime, url, process, relay)
        finally:
            relay.frozen.clear()
            relay.close()
            process.stop()


def _calls_of(runtime: Runtime, provider: str) -> int:
    with runtime.db.session() as session:
        return session.scalar(sql_select(func.count()).select_from(Call).where(Call.provider == provider)) or 0


def test_twenty_concurrent_uploads_of_one_recording_make_one_call(api: Api, data_dir: Path) -> None:
    audio = (data_dir / "pisets_test_sound_ru.wav").read_bytes()
    clients = 20
    ready = threading.Barrier(clients)

    def upload(_: int) -> tuple[int, str]:
        with httpx.Client(timeout=60) as client:
            ready.wait()
            answer = client.post(f"{api.url}/ingest/upload", files={"file": ("call.wav", audio)}, headers=AUTH)
        return answer.status_code, answer.json().get("call_id") or answer.text

    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(upload, range(clients)))

    assert sorted(status for status, _ in answers) == [200] * (clients - 1) + [202]
    assert len({call_id for _, call_id in answers}) == 1
    with api.runtime.db.session() as session:
        recordings = session.scalar(sql_select(func.count()).select_from(Recording))
    assert (_calls_of(api.runtime, "upload"), recordings) == (1, 1)
    assert len(list(api.runtime.storage.keys("recordings/"))) == 1


def _chunked_upload(url: str, offered: int) -> tuple[bytes, int]:
    """Sends a multipart upload with chunked transfer encoding (no Content-Length) until the server answers or the
    connection breaks; returns the answer's first bytes and how many body bytes were sent."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    boundary = "xBOUNDARYx"
    head = (
        "POST /ingest/upload HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Authorization: Bearer api-token\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    preamble = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    sock.sendall(head.encode() + f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")
    block = b"\0" * (1 << 16)
    sent = len(preamble)
    try:
        while sent < offered:
            if select.select([sock], [], [], 0)[0]:
                break
            sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            sent += len(block)
    except OSError:
        pass  # the server closed the connection on a body it will not read
    answer = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(1 << 16):
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
            if length and len(body) >= int(length.group(1)):
                break
    sock.close()
    return answer, sent


def test_a_chunked_upload_past_the_limit_is_cut_off_at_the_limit(api: Api) -> None:
    offered = 200 * LIMIT
    answer, sent = _chunked_upload(api.url, offered)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert f"upload over the {LIMIT}-byte limit".encode() in answer
    # The server stopped reading at the limit: what was sent beyond it is what the sockets' buffers took.
    assert sent < 16 * LIMIT, sent
    assert list(Path(api.settings.spool_dir or "").iterdir()) == []
    assert _calls_of(api.runtime, "upload") <= 1


def _event(bucket: str, key: str) -> dict:
    return {
        "Records": [{"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]
    }


def test_bucket_events_take_in_only_the_drop_zone_of_the_own_bucket(api: Api, data_dir: Path) -> None:
    bucket, storage = api.settings.s3_bucket, api.runtime.storage
    storage.put_file("incoming/pbx-1.wav", data_dir / "fw_stereo_diarization.wav")
    storage.put_bytes("calls/another-call/result.json", json.dumps({"id": "another-call"}).encode())
    storage.put_file("elsewhere/pbx-2.wav", data_dir / "pyannote_sample.wav")
    auth = {"Authorization": "Bearer events-token"}
    with httpx.Client(base_url=api.url, headers=auth, timeout=60) as client:
        for key in ("calls/another-call/result.json", "elsewhere/pbx-2.wav", "recordings/ab/abc.wav"):
            answer = client.post("/ingest/s3", json=_event(bucket, key))
            assert answer.status_code == 200, answer.text
            [reason] = answer.json()["ignored"]
            assert key in reason and answer.json()["calls"] == []
        for key in ("incoming/../calls/another-call/result.json", "..", "incoming/./x.wav", "/etc/passwd"):
            answer = client.post("/ingest/s3", json=_event(bucket, key))
            assert answer.status_code == 400, (key, answer.text)
            assert "names a parent or root folder" in answer.json()["detail"]
        assert _calls_of(api.runtime, "s3") == 0

        answer = client.post("/ingest/s3", json=_event(bucket, "incoming/pbx-1.wav"))
        assert answer.status_code == 202, answer.text
        assert _calls_of(api.runtime, "s3") == 1


def test_a_killed_api_leaves_its_spooled_upload_which_the_sweep_removes(api: Api, data_dir: Path) -> None:
    # Last in this module: it kills the module's API.
    spool = Path(api.settings.spool_dir or "")
    audio = (data_dir / "pyannote_sample.wav").read_bytes()  # audio no earlier test took in
    api.storage_relay.frozen.set()

    def upload() -> None:
        with contextlib.suppress(httpx.TransportError):  # the API is killed under it
            httpx.post(f"{api.url}/ingest/upload", files={"file": ("call.wav", audio)}, headers=AUTH, timeout=120)

    threading.Thread(target=upload, daemon=True).start()

    def spooled() -> list[Path]:
        return [path for path in spool.rglob("*.wav") if path.stat().st_size == len(audio)]

    wait_for(spooled, 60, "the upload to wait in the spool for the storage server")
    api.process.kill()
    [left] = spooled()
    assert left.parent.name.startswith(f"{api.process.proc.pid}-")

    mine = spool / f"{os.getpid()}-in-use"
    mine.mkdir()
    assert clear_spool(api.runtime) == 1
    assert not left.exists() and not left.parent.exists()
    assert mine.exists()  # a running process's folder stays
    mine.rmdir()
