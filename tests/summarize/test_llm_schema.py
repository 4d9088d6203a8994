"""Schema checks every LLM backend shares, and how an OpenAI-compatible reply's text is read."""

import json

import pytest

from summarize.llm import LLMError, schema_errors, validate_output
from summarize.llm.openai_backend import parse_reply

SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "maxLength": 20},
        "items": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "answer": {"type": "string", "enum": ["yes", "no", "not_determined"]},
                    "quote": {"type": ["string", "null"]},
                },
                "required": ["answer", "quote"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["summary", "items"],
    "additionalProperties": False,
}


def test_a_valid_reply_passes_unchanged() -> None:
    reply = {"summary": "Demo booked", "items": [{"answer": "yes", "quote": "Tuesday works"}]}
    assert validate_output(reply, SCHEMA) is reply
    assert schema_errors({"summary": "x", "items": [{"answer": "no", "quote": None}]}, SCHEMA) == []


def test_every_problem_is_named_with_its_path() -> None:
    reply = {"summary": "x" * 21, "items": [{"answer": "maybe", "quote": 3}] * 3}
    problems = schema_errors(reply, SCHEMA)
    assert any(p.startswith("summary:") and "too long" in p for p in problems)
    assert any(p.startswith("items:") and "too long" in p for p in problems)
    assert any(p.startswith("items/0/answer:") and "'maybe'" in p for p in problems)
    assert any(p.startswith("items/0/quote:") for p in problems)
    with pytest.raises(LLMError, match="items/0/answer"):
        validate_output(reply, SCHEMA)


def test_a_reply_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(LLMError, match="list, not an object"):
        validate_output([], {"type": "array"})


def test_an_invalid_schema_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        schema_errors({}, {"type": "no-such-type"})


@pytest.mark.parametrize(
    "content",
    ['{"a": 1}', '```json\n{"a": 1}\n```', '  ```\n{"a": 1}```  ', '```JSON {"a": 1} ```'],
)
def test_replies_are_read_with_or_without_a_code_fence(content: str) -> None:
    assert parse_reply(content) == {"a": 1}


def test_a_reply_with_prose_around_the_json_is_not_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_reply('Here you go: {"a": 1}')
