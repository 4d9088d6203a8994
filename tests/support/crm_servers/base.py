"""The server plumbing the CRM stand-ins share: a threaded HTTP server, a request log and injected faults."""

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    # Every value of a repeated parameter (`filter[id][]=1&filter[id][]=2`); `query` keeps the first.
    query_all: dict[str, list[str]] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.raw.decode("utf-8")).items()}


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay_s: float = 0.0  # answer this late (to outlast a client's timeout)


@dataclass
class Fault:
    answer: Answer
    path_part: str


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that timed out on purpose hangs up while the answer is written: expected, not a server fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class CRMServer:
    """Subclasses implement `handle`; tests read `seen` and queue faults with `fail_next`."""

    name = "crm"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seen: list[tuple[str, str]] = []
        # When each request arrived (time.monotonic() on the server's side) and its path: rate limits are checked here.
        self.arrivals: list[tuple[float, str]] = []
        self.faults: deque[Fault] = deque()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"{self.name}-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "CRMServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail_next(self, answer: Answer, *, path_part: str = "", times: int = 1) -> None:
        """Answer the next `times` requests whose path contains `path_part` with `answer`."""
        with self.lock:
            self.faults.extend(Fault(answer, path_part) for _ in range(times))

    def calls_to(self, path_part: str) -> int:
        with self.lock:
            return sum(1 for _, path in self.seen if path_part in path)

    def dispatch(self, request: Request) -> Answer:
        with self.lock:
            self.arrivals.append((time.monotonic(), request.path))
            self.seen.append((request.method, request.path))
            for fault in list(self.faults):
                if fault.path_part in request.path:
                    self.faults.remove(fault)
                    return fault.answer
        return self.handle(request)

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError


def bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


def _handler(server: CRMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=parts.path,
                query={key: values[0] for key, values in parse_qs(parts.query).items()},
                headers={key.lower(): value for key, value in self.headers.items()},
                raw=self.rfile.read(length) if length else b"",
                query_all=parse_qs(parts.query),
            )
            answer = server.dispatch(request)
            if answer.delay_s:
                time.sleep(answer.delay_s)
            payload = b"" if answer.body is None else json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
            self.send_response(answer.status)
            if payload:
                self.send_header("Content-Type", answer.content_type)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
