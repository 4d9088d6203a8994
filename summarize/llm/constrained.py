"""JSON Schema enforced while decoding: xgrammar masks, at every step, each token that could not continue valid JSON.

Chosen over lm-format-enforcer, whose token filter is pure Python (it slowed decoding several times over on CPU) and
whose transformers integration does not import with transformers 5: xgrammar's matcher is native code, so
constrained decoding runs about as fast as free decoding.
"""

import json
from typing import Any

import torch
import transformers
import xgrammar

from summarize.llm.base import LLMError


class SchemaGrammars:
    """Compiles JSON Schemas into token-level grammars for one tokenizer; each schema is compiled once."""

    def __init__(self, tokenizer: transformers.PreTrainedTokenizerBase, vocab_size: int, stop_token_ids: list[int]):
        info = xgrammar.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=stop_token_ids)
        self.vocab_size = vocab_size
        self._compiler = xgrammar.GrammarCompiler(info, cache_enabled=True)

    def compile(self, schema: dict[str, Any]) -> xgrammar.CompiledGrammar:
        try:
            # Compact JSON: whitespace the model might emit between tokens would only spend the token budget.
            return self._compiler.compile_json_schema(json.dumps(schema), any_whitespace=False, strict_mode=True)
        except (RuntimeError, ValueError) as error:
            raise ValueError(f"the output schema cannot be enforced while decoding: {error}") from error


class SchemaLogitsProcessor(transformers.LogitsProcessor):
    """Lets each row of a batch take only the tokens its grammar allows next. One instance serves one generate()."""

    def __init__(self, grammars: list[xgrammar.CompiledGrammar], vocab_size: int):
        self._matchers = [xgrammar.GrammarMatcher(grammar) for grammar in grammars]
        self._bitmask = xgrammar.allocate_token_bitmask(len(grammars), vocab_size)
        self._vocab_size = vocab_size
        self._started = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != len(self._matchers):
            raise ValueError(f"a batch of {input_ids.shape[0]} prompts was given {len(self._matchers)} grammars")
        # The first call sees only the prompt; every later call sees one new token per row.
        if self._started:
            for row, matcher in enumerate(self._matchers):
                if not matcher.is_terminated() and not matcher.accept_token(int(input_ids[row, -1])):
                    raise LLMError(f"decoding left the grammar at token {int(input_ids[row, -1])} (batch row {row})")
        self._started = True
        for row, matcher in enumerate(self._matchers):
            if not matcher.is_terminated():
                matcher.fill_next_token_bitmask(self._bitmask, row)
        xgrammar.apply_token_bitmask_inplace(scores, self._bitmask.to(scores.device), vocab_size=self._vocab_size)
        return scores
