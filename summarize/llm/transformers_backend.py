"""A local transformers model whose replies are forced, token by token, to match the requested JSON Schema."""

import functools
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import torch
import transformers

from models import ModelInfo
from summarize.llm.base import LLMError, validate_output
from summarize.llm.constrained import SchemaGrammars, SchemaLogitsProcessor

log = logging.getLogger(__name__)

if TYPE_CHECKING:

    class _CausalLM(transformers.PreTrainedModel, transformers.GenerationMixin):
        """What AutoModelForCausalLM loads, as transformers types it: a PreTrainedModel that can generate."""


class PromptTooLong(LLMError):
    """The prompt has more tokens than the backend was configured to accept."""


@dataclass(frozen=True)
class Generation:
    """One decoded reply, as text, with what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    finished: bool  # False when decoding stopped at max_tokens before the model ended its reply


@dataclass
class _Loaded:
    model: "_CausalLM"
    tokenizer: transformers.PreTrainedTokenizerBase
    grammars: SchemaGrammars
    stop_token_ids: list[int]
    lock: threading.Lock


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _resolve_dtype(dtype: str | torch.dtype, device: str) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        # float32 on CPU: without bfloat16 matrix units, half precision is slower there, not faster.
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, dtype)


@functools.cache
def _load(model: str, device: str, dtype: torch.dtype) -> _Loaded:
    started = time.perf_counter()
    tokenizer = transformers.AutoTokenizer.from_pretrained(model)
    llm = transformers.AutoModelForCausalLM.from_pretrained(model, dtype=dtype)
    llm = llm.to(device)  # type: ignore[arg-type]  # .to is @wraps(Module.to); typeshed's _Wrapped binds no self
    llm.eval()
    stop = llm.generation_config.eos_token_id
    stop_ids = [stop] if isinstance(stop, int) else list(stop or [])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in stop_ids:
        stop_ids.append(tokenizer.eos_token_id)
    if not stop_ids:
        raise ValueError(f"the model '{model}' names no end-of-sequence token, so a reply could never end")
    vocab_size = llm.get_output_embeddings().weight.shape[0]
    grammars = SchemaGrammars(tokenizer, vocab_size, stop_ids)
    log.info("loaded LLM %s on %s (%s) in %.1f s", model, device, dtype, time.perf_counter() - started)
    return _Loaded(llm, tokenizer, grammars, stop_ids, threading.Lock())


class TransformersBackend:
    """Any causal LM transformers can load (hub id or local folder), decoding greedily under a JSON Schema.

    Weights are loaded once per process and model: a second backend for the same model shares them.
    Decoding uses torch's thread settings as the process left them (torch.set_num_threads).
    """

    def __init__(
        self,
        model: str | Path,
        *,
        device: str = "auto",
        dtype: str | torch.dtype = "auto",
        max_input_tokens: int = 6144,
        name: str | None = None,
        version: str | None = None,
    ):
        self.device = _resolve_device(device)
        self._loaded = _load(str(model), self.device, _resolve_dtype(dtype, self.device))
        self.max_input_tokens = max_input_tokens
        revision = getattr(self._loaded.model.config, "_commit_hash", None)
        self.info = ModelInfo(
            stage="analyze",
            name=name or str(model),
            version=version or revision or f"transformers {transformers.__version__}",
        )

    @property
    def max_prompt_tokens(self) -> int:
        return self.max_input_tokens

    def count_tokens(self, system: str, user: str) -> int:
        """The prompt's length in the model's own tokens, chat template included."""
        return len(self._prompt_ids([{"role": "system", "content": system}, {"role": "user", "content": user}]))

    def generate_json(self, system: str, user: str, schema: dict[str, Any], *, max_tokens: int = 512) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return _parse_reply(self.generate_chats([messages], [schema], max_tokens=max_tokens)[0], schema, max_tokens)

    def generate_json_batch(
        self, prompts: list[tuple[str, str]], schema: dict[str, Any], *, max_tokens: int = 512
    ) -> list[dict[str, Any] | LLMError]:
        """Several (system, user) prompts decoded together; each result is its JSON object or the error it met."""
        chats = [[{"role": "system", "content": system}, {"role": "user", "content": user}] for system, user in prompts]
        results: list[dict[str, Any] | LLMError] = []
        for reply in self.generate_chats(chats, [schema] * len(chats), max_tokens=max_tokens):
            try:
                results.append(_parse_reply(reply, schema, max_tokens))
            except LLMError as error:
                results.append(error)
        return results

    def generate_chats(
        self, chats: list[list[dict[str, str]]], schemas: list[dict[str, Any]], *, max_tokens: int
    ) -> list[Generation]:
        """Continue chats (OpenAI-style role/content messages), each with a reply its schema's grammar allows."""
        if len(chats) != len(schemas) or not chats:
            raise ValueError(f"expected one schema per chat, got {len(chats)} chats and {len(schemas)} schemas")
        loaded = self._loaded
        rows = [self._prompt_ids(messages) for messages in chats]
        for ids in rows:
            if len(ids) > self.max_input_tokens:
                raise PromptTooLong(
                    f"a prompt is {len(ids)} tokens, over this backend's limit of {self.max_input_tokens}"
                )
        # Left padding keeps every row's last prompt token in the last column, where decoding continues from.
        batch = loaded.tokenizer.pad({"input_ids": rows}, padding_side="left", return_tensors="pt")
        processor = SchemaLogitsProcessor([loaded.grammars.compile(s) for s in schemas], loaded.grammars.vocab_size)
        with loaded.lock, torch.inference_mode():
            started = time.perf_counter()
            output = loaded.model.generate(
                **batch.to(self.device),
                max_new_tokens=max_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                eos_token_id=loaded.stop_token_ids,
                pad_token_id=loaded.stop_token_ids[0],
                logits_processor=transformers.LogitsProcessorList([processor]),
            )
            seconds = time.perf_counter() - started
        replies = []
        for row, ids in enumerate(rows):
            new_tokens = output[row, batch["input_ids"].shape[1] :].tolist()
            stop_at = next((i for i, token in enumerate(new_tokens) if token in loaded.stop_token_ids), None)
            finished = stop_at is not None
            kept = new_tokens[:stop_at] if finished else new_tokens
            text = loaded.tokenizer.decode(kept, skip_special_tokens=True)
            assert isinstance(text, str)  # one sequence decodes to one str; transformers types decode str | list[str]
            replies.append(Generation(text, len(ids), len(kept) + finished, seconds, finished))
        produced = sum(reply.completion_tokens for reply in replies)
        log.info(
            "LLM %s: %d prompt(s), %d new tokens in %.2f s (%.1f tokens/s)",
            self.info.name,
            len(rows),
            produced,
            seconds,
            produced / seconds if seconds else 0.0,
        )
        return replies

    def _prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        tokenizer = self._loaded.tokenizer
        try:
            return list(
                tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
            )
        except jinja2.TemplateError:
            # Some chat templates (Gemma's, for one) reject a system turn: fold it into the first user turn.
            system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
            rest = [dict(m) for m in messages if m["role"] != "system"]
            if system and rest:
                rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
            return list(
                tokenizer.apply_chat_template(rest, add_generation_prompt=True, tokenize=True, return_dict=False)
            )


def _parse_reply(reply: Generation, schema: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    try:
        value = json.loads(reply.text)
    except json.JSONDecodeError as error:
        if not reply.finished:
            raise LLMError(
                f"the reply reached max_tokens={max_tokens} before its JSON was complete; raise max_tokens "
                "or tighten maxLength/maxItems in the schema"
            ) from error
        raise LLMError(f"the reply is not JSON ({error}): {reply.text[:200]!r}") from error
    return validate_output(value, schema)
