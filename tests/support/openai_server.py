"""A small, real OpenAI-compatible HTTP server for tests: it stands in for vLLM, Ollama or llama.cpp server.

It serves `GET /v1/models` and `POST /v1/chat/completions` on loopback around a `TransformersBackend`, so a
`response_format` of type json_schema is honoured the way those servers honour it: by constrained decoding.
Tests can make the next requests fail (HTTP 500, a reply that is not JSON, or a reply slower than the client's
timeout) to exercise a client's retry path against a real socket.
"""

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from summarize.llm.base import LLMError
from summarize.llm.transformers_backend import TransformersBackend


class Fault(StrEnum):
    server_error = "server_error"  # HTTP 500
    invalid_json = "invalid_json"  # HTTP 200 whose message content is not JSON
    slow = "slow"  # sleeps past the client's timeout, then answers HTTP 503


@dataclass
class ReceivedRequest:
    path: str
    body: dict[str, Any]
    authorized: bool  # whether an Authorization header came with it; its value is never kept


@dataclass
class ServerState:
    faults: deque[Fault] = field(default_factory=deque)
    received: list[ReceivedRequest] = field(default_factory=list)
    slow_s: float = 3.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class OpenAICompatibleServer:
    """Serves one model as `model_id` at `http://127.0.0.1:<free port>/v1`."""

    def __init__(self, backend: TransformersBackend, model_id: str):
        self.backend = backend
        self.model_id = model_id
        self.state = ServerState()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="openai-test-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "OpenAICompatibleServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def inject(self, fault: Fault, count: int = 1) -> None:
        """Make the next `count` chat-completion requests fail this way."""
        with self.state.lock:
            self.state.faults.extend([fault] * count)

    def reset(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.received.clear()

    def next_fault(self) -> Fault | None:
        with self.state.lock:
            return self.state.faults.popleft() if self.state.faults else None

    def completion(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        fault = self.next_fault()
        if fault is Fault.server_error:
            return 500, {"error": {"message": "injected server error", "type": "server_error"}}
        if fault is Fault.slow:
            time.sleep(self.state.slow_s)
            return 503, {"error": {"message": "injected slow reply", "type": "server_error"}}
        if body.get("model") != self.model_id:
            return 404, {"error": {"message": f"model {body.get('model')!r} is not served here", "type": "not_found"}}
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            schema = response_format["json_schema"]["schema"]
        elif response_format.get("type") == "json_object":
            schema = {"type": "object"}
        else:
            return 400, {"error": {"message": "this server only answers with JSON: set response_format"}}
        if fault is Fault.invalid_json:
            content, finish_reason, usage = "Sure! Here is the JSON you asked for: {", "stop", (0, 0)
        else:
            max_tokens = int(body.get("max_tokens", 512))
            try:
                reply = self.backend.generate_chats([body["messages"]], [schema], max_tokens=max_tokens)[0]
            except (LLMError, ValueError) as error:
                return 400, {"error": {"message": str(error), "type": "invalid_request_error"}}
            content = reply.text
            finish_reason = "stop" if reply.finished else "length"
            usage = (reply.prompt_tokens, reply.completion_tokens)
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_id,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
            ],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
        }


def _handler(server: OpenAICompatibleServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            model = {"id": server.model_id, "object": "model", "created": 0, "owned_by": "callintel-tests"}
            self._send(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length))
            except json.JSONDecodeError as error:
                self._send(400, {"error": {"message": f"body is not JSON: {error}"}})
                return
            with server.state.lock:
                server.state.received.append(ReceivedRequest(self.path, body, "Authorization" in self.headers))
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            status, payload = server.completion(body)
            self._send(status, payload)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test); nothing is left to tell it

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keeps pytest output to the tests' own messages

    return Handler
