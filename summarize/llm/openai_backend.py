"""An OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp server, OpenAI) asked for schema-shaped JSON.

The server is asked to enforce the schema itself (`response_format` json_schema, strict); the reply is still
parsed and validated here, since not every server enforces every keyword. A failed attempt is retried once:
after a server error or a timeout with the same request, after invalid output with the problem told to the model.
"""

import json
import logging
import re
from typing import Any

import httpx

from models import ModelInfo
from models.errors import Unavailable
from summarize.llm.base import LLMError, schema_errors

log = logging.getLogger(__name__)

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL | re.IGNORECASE)
_RETRYABLE_STATUS = {408, 409, 429}
# The server's tokenizer is not known here: a prompt is counted at this many characters per token, fewer than
# common tokenizers spend on Russian or English text, so the estimate errs long and a prompt never overflows.
CHARS_PER_TOKEN = 3
_MESSAGE_OVERHEAD_TOKENS = 8


class _Retryable(Unavailable):
    """One attempt failed in a way a second attempt may not."""

    def __init__(self, problem: str, reply: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.reply = reply


def parse_reply(content: str) -> Any:
    """The JSON value in a reply's text, tolerating a surrounding ```json fence."""
    fenced = _FENCE.match(content)
    return json.loads(fenced.group(1) if fenced else content)


def _schema_name(schema: dict[str, Any]) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(schema.get("title") or "reply"))
    return name[:64]


class OpenAICompatibleBackend:
    """Talks to `{base_url}/chat/completions` with temperature 0 and a strict JSON Schema response format."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 120,
        version: str = "unspecified",
        max_prompt_tokens: int = 6912,
    ):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.max_prompt_tokens = max_prompt_tokens
        self.info = ModelInfo(stage="analyze", name=model, version=version)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=httpx.Timeout(timeout_s))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "OpenAICompatibleBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count_tokens(self, system: str, user: str) -> int:
        """An estimate that errs long: the server's tokenizer is not available to the client."""
        return -(-(len(system) + len(user)) // CHARS_PER_TOKEN) + 2 * _MESSAGE_OVERHEAD_TOKENS

    def generate_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int = 512) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            return self._attempt(messages, schema, max_tokens)
        except _Retryable as first:
            log.warning("LLM %s at %s: %s; retrying once", self.model, self.base_url, first.problem)
            if first.reply is not None:
                messages = [
                    *messages,
                    {"role": "assistant", "content": first.reply},
                    {
                        "role": "user",
                        "content": f"That reply was not valid: {first.problem}. "
                        "Reply again with only a JSON object that matches the schema.",
                    },
                ]
            try:
                return self._attempt(messages, schema, max_tokens)
            except _Retryable as second:
                raise LLMError(
                    f"LLM {self.model} at {self.base_url} failed twice: first {first.problem}; then {second.problem}"
                ) from None

    def _attempt(self, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int) -> dict[str, Any]:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": _schema_name(schema), "schema": schema, "strict": True},
            },
        }
        try:
            response = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException:
            raise _Retryable(f"no reply within {self.timeout_s} s") from None
        except httpx.TransportError as error:
            raise _Retryable(f"could not reach the server ({type(error).__name__}: {error})") from None
        if response.status_code >= 500 or response.status_code in _RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise LLMError(
                f"LLM {self.model} at {self.base_url} refused the request: HTTP {response.status_code}: "
                f"{response.text[:300]}"
            )
        try:
            choice = response.json()["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise _Retryable(f"the response is not a chat completion: {response.text[:200]!r}") from None
        if not isinstance(content, str):
            raise _Retryable("the reply has no text content")
        if choice.get("finish_reason") == "length":
            raise _Retryable(f"the reply was cut at max_tokens={max_tokens}", reply=content)
        try:
            value = parse_reply(content)
        except json.JSONDecodeError as error:
            raise _Retryable(f"the reply is not JSON ({error.msg} at char {error.pos})", reply=content) from None
        problems = schema_errors(value, schema)
        if not problems and not isinstance(value, dict):
            problems = [f"(root): a JSON {type(value).__name__}, not an object"]
        if problems:
            raise _Retryable("the reply does not match the schema: " + "; ".join(problems[:5]), reply=content)
        return value
