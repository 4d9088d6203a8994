"""What every LLM backend of the analyze stage offers: JSON that matches a JSON Schema, or an `LLMError`."""

import functools
import json
from typing import Any, Protocol, runtime_checkable

import jsonschema

from models import ModelInfo
from models.errors import Unavailable


class LLMError(Unavailable, RuntimeError):
    """A request to the LLM failed, timed out, or gave output that does not match the requested schema."""


class LLMBackend(Protocol):
    info: ModelInfo

    @property
    def max_prompt_tokens(self) -> int:
        """The longest prompt (system and user together) the backend takes."""
        ...

    def count_tokens(self, system: str, user: str) -> int:
        """How many tokens this prompt takes, as the model counts them (or a safe estimate where it cannot)."""
        ...

    def generate_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int = 512) -> dict[str, Any]:
        """Ask the model; the reply is a JSON object valid against `schema`, or `LLMError` is raised."""
        ...


@runtime_checkable
class BatchingBackend(LLMBackend, Protocol):
    """A backend that decodes several prompts at once (the transformers backend: one padded batch)."""

    def generate_json_batch(
        self, prompts: list[tuple[str, str]], schema: dict[str, Any], *, max_tokens: int = 512
    ) -> list[dict[str, Any] | LLMError]:
        """One result per (system, user) prompt: its JSON object, or the error that prompt met."""
        ...


@functools.lru_cache(maxsize=64)
def _validator(schema_text: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise ValueError(f"the output schema is not a valid JSON Schema: {error.message}") from error
    return cls(schema)


def schema_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Every way `value` breaks `schema`, each as 'path: problem'; empty when it is valid."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        problems.append(f"{where}: {error.message}")
    return problems


def validate_output(value: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """`value` itself when it is a JSON object valid against `schema`; otherwise `LLMError` naming the problems."""
    problems = schema_errors(value, schema)
    if problems:
        raise LLMError("the model's output does not match the schema: " + "; ".join(problems[:5]))
    if not isinstance(value, dict):
        raise LLMError(f"the model's output is a JSON {type(value).__name__}, not an object")
    return value
