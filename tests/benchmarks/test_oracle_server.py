"""The oracle server's plumbing: a real chat-completions request, built by our own prompt builder for one eval call,
answered over loopback with JSON valid per the request's schema and quotes found in the transcript."""

import json

import httpx

from benchmarks.blind_set import SCRIPTS, load_part
from benchmarks.oracle_server import OracleServer
from diarize.transcript_file import read_transcript
from pipeline.call_setup import resolve_fields, resolve_script
from summarize.grounding import ground_quote
from summarize.llm.base import schema_errors
from summarize.prompt import build_prompt


def test_oracle_answers_our_request_with_grounded_quotes() -> None:
    call = load_part("dev", ("ru",))[0]
    conversation = read_transcript(call.transcript_text, language=call.language)
    script = resolve_script(SCRIPTS[call.language], call.language)
    fields = [spec for spec in resolve_fields("default").fields if spec.question]
    prompt = build_prompt(conversation, script.items(), fields, language=call.language, max_chars=10**6)
    body = {
        "model": "oracle",
        "messages": [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}],
        "temperature": 0,
        "response_format": {"type": "json_schema", "json_schema": {"name": "reply", "schema": prompt.schema}},
    }
    with OracleServer([call]) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        assert client.get("/models").json()["data"][0]["id"] == "oracle"
        response = client.post("/chat/completions", json=body)
        assert response.status_code == 200
        asked = server.oracle.requests_about(call.id)
    answer = json.loads(response.json()["choices"][0]["message"]["content"])
    assert schema_errors(answer, prompt.schema) == []
    assert len(asked) == 1
    quotes = [a["quote"] for a in [*answer["items"].values(), *answer["fields"].values()] if a["quote"]]
    assert any(a["answer"] in ("yes", "no") for a in answer["items"].values())
    assert quotes and all(ground_quote(conversation, quote) is not None for quote in quotes)
