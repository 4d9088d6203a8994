"""LLM backends of the analyze stage: a local transformers model decoding under a JSON Schema, or an OpenAI-compatible
server.

The backends are imported from their own modules, so a process that talks to a server never imports torch.
"""

from summarize.llm.base import LLMBackend, LLMError, schema_errors, validate_output

__all__ = ["LLMBackend", "LLMError", "schema_errors", "validate_output"]
