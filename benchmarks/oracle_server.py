"""An oracle LLM for the "LLM ceiling": an OpenAI-compatible server that answers the analyze stage's request from
the evaluation set's labels, with quotes taken from the call itself.

    python -m benchmarks.oracle_server [--part dev] [--port 8765]

It serves `GET /v1/models` and `POST /v1/chat/completions` (response_format json_schema, as the analyze stage
sends it). The call a request is about is found by matching the transcript lines in the prompt against the calls'
lines; a request about a part of a long call is answered from that part only, as the prompt asks. What it answers:
- a script item labelled "yes": "yes" with the label's quote, when that quote is in the prompt's part;
- "no": a label carries no quote for a step that did not happen, and the analyze stage takes no "no" without a
  grounded quote, so the quote is the opening of the rep's last turn in the part (the close of the call, where a
  missing step is most often noticed);
- "n/a": no quote, as absence cannot be quoted;
- decision maker: the label's name and role (or "the person on the call") with the label's quote;
- next step and pain points: the labelled text, quoted by the line sharing most words with it, or left out when no
  line shares at least two; the deal stage: the labelled stage, quoted by the customer's last turn, since a stage
  is read from the whole call and the close shows where it ended;
- the summary: the labelled pain points and next step.
Every string is cut to the schema's length limits (a quote at a word boundary, so it stays verbatim). Whatever the
labels do not answer is left out: not_determined for an item, null for a field or a note section.
"""

import argparse
import functools
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from benchmarks.blind_set import CALLS, BlindCall, load_part
from summarize.llm.base import schema_errors
from summarize.text import tokenize

MODEL_ID = "oracle"
# A quote for "no" or a stage: the opening of a turn, long enough to be found in one place only.
OPENING_WORDS = 8
# A line quotes a free-text label when it shares at least this many words (5-letter stems) with it.
MIN_SHARED_WORDS = 2


def _norm(text: str) -> str:
    return " ".join(tokenize(text))


def _stems(text: str) -> set[str]:
    return {token[:5] for token in tokenize(text) if len(token) >= 4}


def _cut(text: str | None, limit: int | None) -> str | None:
    """`text` within `limit` characters, cut at a word boundary so a quote stays a verbatim piece of its line."""
    if text is None or limit is None or len(text) <= limit:
        return text
    head = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return head.rstrip(" ,;:—-")[:limit]


def _opening(text: str) -> str:
    return " ".join(text.split()[:OPENING_WORDS])


@dataclass(frozen=True)
class Line:
    role: str
    text: str
    norm: str


@dataclass(frozen=True)
class OracleAnswers:
    """What the oracle answers about one call (or one part of it): item id → (answer, quote), field name → (value,
    quote). Items and fields the labels do not answer are absent."""

    items: dict[str, tuple[str, str | None]]
    fields: dict[str, tuple[str, str]]


def call_lines(call: BlindCall) -> list[Line]:
    return [Line(role, " ".join(text.split()), _norm(text)) for role, text in call.lines]


def visible_lines(call: BlindCall, transcript: str) -> list[Line]:
    """The call's lines that the prompt's transcript shows (a long call's part shows only some)."""
    shown = _norm(transcript)
    return [line for line in call_lines(call) if line.norm and line.norm in shown]


def _quoted(quote: str, lines: Sequence[Line]) -> bool:
    needle = _norm(quote)
    return bool(needle) and any(needle in line.norm for line in lines)


def _last_turn(lines: Sequence[Line], role: str) -> str | None:
    turns = [line for line in lines if line.role == role and len(line.text.split()) >= 3]
    return _opening(turns[-1].text) if turns else None


def _best_line(text: str, lines: Sequence[Line]) -> str | None:
    wanted = _stems(text)
    scored = [(len(wanted & _stems(line.text)), index) for index, line in enumerate(lines)]
    shared, index = max(scored, default=(0, -1))
    return lines[index].text if shared >= MIN_SHARED_WORDS else None


def _decision_maker(label: dict) -> str | None:
    described = ", ".join(str(label[key]) for key in ("name", "role") if label.get(key))
    return described or ("the person on the call" if label.get("on_call") else None)


@functools.cache
def _item_labels(call_id: str) -> dict[str, dict]:
    """The call's item labels with their quotes (`BlindCall.items` keeps only the answers)."""
    return yaml.safe_load((CALLS / f"{call_id}.yaml").read_text(encoding="utf-8"))["items"]


def _items(call: BlindCall, lines: Sequence[Line]) -> dict[str, tuple[str, str | None]]:
    answers: dict[str, tuple[str, str | None]] = {}
    rep_close = _last_turn(lines, "rep")
    for item_id, label in _item_labels(call.id).items():
        verdict, quote = label["answer"], label.get("quote")
        if verdict == "yes" and quote and _quoted(quote, lines):
            answers[item_id] = ("yes", quote)
        elif verdict == "no" and rep_close:
            answers[item_id] = ("no", rep_close)
        elif verdict == "n/a":
            answers[item_id] = ("n/a", None)
    return answers


def _fields(call: BlindCall, lines: Sequence[Line]) -> dict[str, tuple[str, str]]:
    labels = call.fields
    answers: dict[str, tuple[str, str]] = {}
    maker = labels.get("decision_maker")
    quoted = isinstance(maker, dict) and maker.get("quote") and _quoted(maker["quote"], lines)
    if quoted and (value := _decision_maker(maker)):
        answers["decision_maker"] = (value, maker["quote"])
    if labels.get("next_step") and (quote := _best_line(labels["next_step"], lines)):
        answers["next_step"] = (labels["next_step"], quote)
    pains = [str(pain) for pain in labels.get("pain_points") or []]
    if pains and (quote := _best_line(pains[0], lines)):
        answers["pain_points"] = ("; ".join(pains), quote)
    if labels.get("deal_stage_suggestion") and (quote := _last_turn(lines, "customer")):
        answers["deal_stage_suggestion"] = (labels["deal_stage_suggestion"], quote)
    return answers


def oracle_answers(call: BlindCall, lines: Sequence[Line] | None = None) -> OracleAnswers:
    """The oracle's answers about `lines` of the call (the whole call by default), before any schema is applied."""
    shown = call_lines(call) if lines is None else list(lines)
    return OracleAnswers(_items(call, shown), _fields(call, shown))


def _limit(schema: dict) -> int | None:
    options = schema.get("anyOf", [schema])
    return next((option["maxLength"] for option in options if "maxLength" in option), None)


def _enum(schema: dict) -> list | None:
    options = schema.get("anyOf", [schema])
    return next((option["enum"] for option in options if "enum" in option), None)


def _summary(call: BlindCall, schema: dict) -> dict:
    props = schema["properties"]
    pains = [str(pain) for pain in call.fields.get("pain_points") or []]
    step = call.fields.get("next_step")
    text = "; ".join([*pains, *([str(step)] if step else [])])
    points = [_cut(pain, _limit(props["key_points"]["items"])) for pain in pains]
    return {
        "text": _cut(text, _limit(props["text"])),
        "key_points": points[: props["key_points"].get("maxItems", len(points))],
        "next_step": _cut(str(step), _limit(props["next_step"])) if step else None,
    }


def reply(call: BlindCall | None, lines: Sequence[Line], schema: dict) -> dict:
    """The JSON answer to one request, shaped by its schema: every required key present, every limit kept."""
    props = schema["properties"]
    answers = oracle_answers(call, lines) if call is not None else OracleAnswers({}, {})
    items: dict[str, dict] = {}
    for item_id, item_schema in props["items"]["properties"].items():
        verdict, quote = answers.items.get(item_id, ("not_determined", None))
        if verdict not in _enum(item_schema["properties"]["answer"]):
            verdict, quote = "not_determined", None
        items[item_id] = {"answer": verdict, "quote": _cut(quote, _limit(item_schema["properties"]["quote"]))}
    fields: dict[str, dict] = {}
    for name, field_schema in props["fields"]["properties"].items():
        value, quote = answers.fields.get(name, (None, None))
        allowed = _enum(field_schema["properties"]["value"])
        if value is None or (allowed is not None and value not in allowed):
            fields[name] = {"value": None, "quote": None}
            continue
        limit = _limit(field_schema["properties"]["value"])
        value = _cut(value, limit) if "; " not in value else _cut_list(value, limit)
        fields[name] = {"value": value, "quote": _cut(quote, _limit(field_schema["properties"]["quote"]))}
    summary = (
        _summary(call, props["summary"]) if call is not None else {"text": "", "key_points": [], "next_step": None}
    )
    answer = {"summary": summary, "items": items, "fields": fields}
    if "sections" in props:
        answer["sections"] = {section: {"text": None, "quote": None} for section in props["sections"]["properties"]}
    return answer


def _cut_list(value: str, limit: int | None) -> str:
    """A '; '-joined list within `limit`: whole entries while they fit, at least the first one (cut)."""
    kept: list[str] = []
    for entry in value.split("; "):
        if limit is not None and len("; ".join([*kept, entry])) > limit:
            break
        kept.append(entry)
    return "; ".join(kept) if kept else _cut(value, limit)


@dataclass
class Asked:
    """One request the oracle answered: the call it was about, the items and fields asked, and the answer."""

    call_id: str | None
    items: tuple[str, ...]
    fields: tuple[str, ...]
    answer: dict


@dataclass
class Oracle:
    calls: list[BlindCall]
    asked: list[Asked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def identify(self, transcript: str) -> BlindCall | None:
        """The call most of whose lines the transcript shows; None when no call has most of the prompt's words."""
        shown = _norm(transcript)
        best, best_chars = None, 0
        for call in self.calls:
            chars = sum(len(line.norm) for line in call_lines(call) if line.norm and line.norm in shown)
            if chars > best_chars:
                best, best_chars = call, chars
        return best if best_chars * 2 >= len(shown) else None

    def complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response_format = body.get("response_format") or {}
        if response_format.get("type") != "json_schema":
            return 400, {"error": {"message": "the oracle answers only with response_format json_schema"}}
        schema = response_format["json_schema"]["schema"]
        user = "\n".join(str(m.get("content") or "") for m in body.get("messages") or [] if m.get("role") == "user")
        transcript = "\n".join(line.split(": ", 1)[-1] for line in user.splitlines() if line.startswith("["))
        call = self.identify(transcript)
        lines = visible_lines(call, transcript) if call is not None else []
        answer = reply(call, lines, schema)
        problems = schema_errors(answer, schema)
        if problems:
            return 500, {"error": {"message": "the oracle's answer breaks the schema: " + "; ".join(problems[:3])}}
        with self.lock:
            asked = Asked(call.id if call else None, tuple(answer["items"]), tuple(answer["fields"]), answer)
            self.asked.append(asked)
        return 200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or MODEL_ID),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
                    "finish_reason": "stop",
                }
            ],
        }

    def requests_about(self, call_id: str) -> list[Asked]:
        with self.lock:
            return [asked for asked in self.asked if asked.call_id == call_id]


class OracleServer:
    """The oracle at `http://127.0.0.1:<port>/v1` (a free port when 0), served from a background thread."""

    def __init__(self, calls: list[BlindCall], port: int = 0):
        self.oracle = Oracle(calls)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.oracle))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="oracle-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "OracleServer":
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted (the command line's use)."""
        try:
            self._httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "OracleServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(oracle: Oracle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "callintel-benchmarks"}
            self._send(200, {"object": "list", "data": [model]})

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length))
            except json.JSONDecodeError as error:
                self._send(400, {"error": {"message": f"body is not JSON: {error}"}})
                return
            self._send(*oracle.complete(body))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a benchmark's console shows its own progress, not one line per request

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["dev", "test"], default="dev")
    parser.add_argument("--languages", default="ru,en")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    server = OracleServer(load_part(args.part, tuple(args.languages.split(","))), args.port)
    print(f"oracle for the {args.part} part at {server.base_url} (Ctrl-C stops it)", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
