"""Service-mode processes and peers for end-to-end tests: `callintel serve` and `callintel worker` as real
subprocesses configured through CALLINTEL_* variables, a subscriber that receives signed events, and a
recording server standing in for a PBX's recording storage (plain HTTP on loopback)."""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pipeline.settings import Settings
from pipeline.signing import verify

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables a subprocess reads them from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLINTEL_")}
    for name, value in settings.model_dump(mode="json", exclude_none=True).items():
        if hasattr(getattr(settings, name), "get_secret_value"):
            value = getattr(settings, name).get_secret_value()
        env[f"CALLINTEL_{name.upper()}"] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return env


def variant(recording: Path, folder: Path, name: str) -> Path:
    """A copy of a WAV recording with one late sample changed (which one depends on the name): other content, so not
    a duplicate, and the same speech."""
    data = bytearray(recording.read_bytes())
    data[-1 - 2 * (zlib.crc32(name.encode()) % 1000)] ^= 1
    path = folder / name
    path.write_bytes(bytes(data))
    return path


def wait_for(check: Callable[[], object], timeout_s: float, what: str, every_s: float = 0.2) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


class Process:
    """A callintel command running in the background, its output kept in a log file."""

    def __init__(self, args: list[str], settings: Settings, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "-v", *args],
            cwd=ROOT,
            env=settings_env(settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout_s: float = 60) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def start_api(settings: Settings, log_dir: Path, port: int | None = None) -> tuple[Process, str]:
    port = port or free_port()
    process = Process(["serve", "--port", str(port), "--sweep-every", "0"], settings, log_dir / f"api-{port}.log")
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.proc.poll() is not None:
            raise AssertionError(f"API exited: {process.output()[-3000:]}")
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code in (200, 503)
        except httpx.TransportError:
            return False

    wait_for(ready, 120, "the API to answer")
    return process, url


def start_worker(settings: Settings, log_dir: Path, queues: str = "cpu,llm,publish") -> Process:
    n = len(list(log_dir.glob("worker-*.log")))
    process = Process(["worker", "--queues", queues], settings, log_dir / f"worker-{n}.log")

    def ready() -> bool:
        if process.proc.poll() is not None:
            raise AssertionError(f"worker exited: {process.output()[-3000:]}")
        return "worker taking" in process.output()

    wait_for(ready, 240, "the worker to load its models")
    return process


@dataclass
class Received:
    event_id: str
    type: str
    body: dict
    signature_problem: str | None


@dataclass
class Subscriber:
    """A webhook subscriber: records every signed event it receives; can be taken down and brought back."""

    secret: str = "subscriber-secret"
    port: int = field(default_factory=free_port)
    events: list[Received] = field(default_factory=list)
    _server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def start(self) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                problem = verify(
                    outer.secret,
                    int(self.headers.get("X-Callintel-Timestamp", "0")),
                    body,
                    self.headers.get("X-Callintel-Signature", ""),
                    now=time.time(),
                    tolerance_s=300,
                )
                outer.events.append(
                    Received(
                        self.headers["X-Callintel-Event-Id"],
                        self.headers["X-Callintel-Event"],
                        json.loads(body),
                        problem,
                    )
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, type_: str) -> list[Received]:
        return [e for e in self.events if e.type == type_]


class RecordingServer:
    """Serves files from a folder over HTTP, as a PBX's recording storage does."""

    def __init__(self, folder: Path) -> None:
        handler = lambda *a, **kw: _QuietFiles(*a, directory=str(folder), **kw)  # noqa: E731
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass
