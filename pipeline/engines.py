"""The models a process uses, each loaded once on first use and reused for every call that follows."""

import logging
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import models_cache
from pipeline.memory import release_free_memory
from pipeline.settings import STARTER, Settings

if TYPE_CHECKING:
    from diarize.diarizer import Diarizer
    from summarize.llm.base import LLMBackend
    from transcribe.backend import ASRBackend

log = logging.getLogger(__name__)


OPENAI_CONTEXT_TOKENS = 8192


def _prompt_tokens(context_tokens: int, answer_tokens: int) -> int:
    """What the context window leaves a prompt once the answer's budget is set aside."""
    if context_tokens - answer_tokens < 256:
        raise ValueError(
            f"CALLINTEL_LLM_CONTEXT_TOKENS={context_tokens} leaves no room for a prompt after "
            f"CALLINTEL_LLM_MAX_TOKENS={answer_tokens}"
        )
    return context_tokens - answer_tokens


def _device(choice: str) -> str:
    if choice != "auto":
        return choice
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Engines:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def asr(self) -> "ASRBackend":
        from transcribe.whisper import DecodingOptions, FasterWhisperBackend

        s = self.settings
        device = _device(s.asr_device)
        model: str | Path = s.asr_model
        if model == STARTER:
            model = models_cache.starter_whisper_dir(s.model_cache_dir)
        compute_type = s.asr_compute_type
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        log.info("loading speech recognition model %s on %s (%s)", model, device, compute_type)
        return FasterWhisperBackend(
            model,
            device=device,
            compute_type=compute_type,
            cpu_threads=s.asr_cpu_threads,
            beam_size=s.asr_beam_size,
            batch_size=s.asr_batch_size,
            decoding=DecodingOptions(
                condition_on_previous_text=s.asr_condition_on_previous_text,
                no_speech_threshold=s.asr_no_speech_threshold,
                log_prob_threshold=s.asr_log_prob_threshold,
                compression_ratio_threshold=s.asr_compression_ratio_threshold,
                hallucination_silence_threshold=s.asr_hallucination_silence_threshold,
                vad_threshold=s.asr_vad_threshold,
            ),
            release_memory=release_free_memory,
        )

    @cached_property
    def diarizer(self) -> "Diarizer":
        from diarize.pyannote_diarizer import PyannoteDiarizer

        s = self.settings
        device = _device(s.diarization_device)
        log.info("loading diarization pipeline %s on %s", s.diarization_pipeline, device)
        if s.diarization_pipeline == STARTER:
            return PyannoteDiarizer.from_starter(
                models_cache.starter_segmentation_dir(),
                models_cache.starter_embedding_checkpoint(),
                device=device,
                release_memory=release_free_memory,
            )
        token = s.hf_token.get_secret_value() if s.hf_token else None
        return PyannoteDiarizer.from_hub(
            s.diarization_pipeline, token=token, device=device, release_memory=release_free_memory
        )

    @cached_property
    def llm(self) -> "LLMBackend | None":
        s = self.settings
        if s.llm_backend == "none":
            return None
        if s.llm_backend == "openai":
            from summarize.llm.openai_backend import OpenAICompatibleBackend

            if not s.llm_base_url:
                raise ValueError("CALLINTEL_LLM_BACKEND=openai needs CALLINTEL_LLM_BASE_URL")
            key = s.llm_api_key.get_secret_value() if s.llm_api_key else None
            return OpenAICompatibleBackend(
                s.llm_base_url,
                s.llm_model,
                api_key=key,
                timeout_s=s.llm_timeout_s,
                max_prompt_tokens=_prompt_tokens(s.llm_context_tokens or OPENAI_CONTEXT_TOKENS, s.llm_max_tokens),
            )
        from pipeline.llm_models import starter_llm_dir
        from summarize.llm.transformers_backend import TransformersBackend

        model: str | Path = s.llm_model
        if model == STARTER:
            model = starter_llm_dir(s.model_cache_dir)
        log.info("loading language model %s", model)
        if s.llm_context_tokens is None:
            return TransformersBackend(model, device=_device(s.llm_device))
        limit = _prompt_tokens(s.llm_context_tokens, s.llm_max_tokens)
        return TransformersBackend(model, device=_device(s.llm_device), max_input_tokens=limit)


_engines: dict[str, Engines] = {}
_engines_lock = threading.Lock()


def engines_for(settings: Settings) -> Engines:
    """One Engines per configuration per process."""
    key = settings.config_hash() + str(settings.model_cache_dir)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = Engines(settings)
        return _engines[key]
