"""The models a process uses, each loaded once on first use and reused for every call that follows.

Each engine is cached on exactly the settings it reads (`ASR_SETTINGS`, `DIARIZER_SETTINGS`, `LLM_SETTINGS`), not on
the config hash: settings that leave results alone (device, threads, timeouts) still change the engine, and
settings another engine reads do not reload this one. A loader sees only its own settings, so one that reads a
setting missing from its list fails at once instead of being cached under too short a key.
"""

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from models.errors import BadInput
from pipeline import models_cache
from pipeline.memory import release_free_memory
from pipeline.settings import STARTER, Settings

if TYPE_CHECKING:
    from diarize.diarizer import Diarizer
    from summarize.llm.base import LLMBackend
    from transcribe.backend import ASRBackend
    from transcribe.router import LanguageRouter
    from transcribe.whisper import DecodingOptions

log = logging.getLogger(__name__)


OPENAI_CONTEXT_TOKENS = 8192
WHISPER = "whisper"


class UnknownRecogniser(BadInput, ValueError):
    """A recogniser name no backend answers to."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"unknown recogniser {name!r}: expected 'whisper', 'gigaam' or 'tone', each optionally followed by "
            "':MODEL' (a Whisper model name or folder, a GigaAM checkpoint, a T-one model.onnx)"
        )
        self.name = name


class RecogniserNotConfigured(BadInput, ValueError):
    """A Russian recogniser chosen with no weights to load."""

    def __init__(self, kind: str, setting: str) -> None:
        super().__init__(
            f"the {kind!r} recogniser has no weights: set {setting} to the downloaded model's path, or name it as "
            f"'{kind}:PATH'"
        )


DECODING_SETTINGS = (
    "asr_beam_size",
    "asr_condition_on_previous_text",
    "asr_no_speech_threshold",
    "asr_log_prob_threshold",
    "asr_compression_ratio_threshold",
    "asr_hallucination_silence_threshold",
    "asr_vad_threshold",
)
ASR_SETTINGS = (
    "model_cache_dir",
    "asr_model",
    "asr_device",
    "asr_compute_type",
    "asr_cpu_threads",
    "asr_batch_size",
    "asr_bias",
    *DECODING_SETTINGS,
)
# The Russian CTC recognisers (GigaAM, T-one) read these; each is cached on its own weights' path too.
CTC_ASR_SETTINGS = ("asr_device", "asr_cpu_threads", "asr_ctc_batch_size", "asr_vad_threshold")
RUSSIAN_MODEL_SETTINGS = {"gigaam": "asr_gigaam_model", "tone": "asr_tone_model"}
DIARIZER_SETTINGS = ("diarization_pipeline", "diarization_device", "hf_token")
LLM_SETTINGS = (
    "model_cache_dir",
    "llm_backend",
    "llm_model",
    "llm_device",
    "llm_base_url",
    "llm_api_key",
    "llm_timeout_s",
    "llm_max_tokens",
    "llm_context_tokens",
)


def decoding_options(settings: Settings | SimpleNamespace) -> "DecodingOptions":
    """Whisper's decoding options as the settings give them: the one place their values come from."""
    from transcribe.whisper import DecodingOptions

    s = settings
    return DecodingOptions(
        beam_size=s.asr_beam_size,
        condition_on_previous_text=s.asr_condition_on_previous_text,
        no_speech_threshold=s.asr_no_speech_threshold,
        log_prob_threshold=s.asr_log_prob_threshold,
        compression_ratio_threshold=s.asr_compression_ratio_threshold,
        hallucination_silence_threshold=s.asr_hallucination_silence_threshold,
        vad_threshold=s.asr_vad_threshold,
    )


def resolve_compute_type(choice: str, device: str) -> str:
    """CALLINTEL_ASR_COMPUTE_TYPE on a device: 'auto' is int8 on CPU, float16 on GPU."""
    if choice != "auto":
        return choice
    return "float16" if device == "cuda" else "int8"


def engine_key(settings: Settings, names: Iterable[str]) -> str:
    """A digest of the named settings' values, secrets included (a new API key is a new engine)."""
    values = {name: _plain(getattr(settings, name)) for name in names}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _plain(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


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


def _load_asr(s: SimpleNamespace) -> "ASRBackend":
    from transcribe.biasing import BiasMode
    from transcribe.whisper import FasterWhisperBackend

    device = _device(s.asr_device)
    model: str | Path = s.asr_model
    if model == STARTER:
        model = models_cache.starter_whisper_dir(s.model_cache_dir)
    compute_type = resolve_compute_type(s.asr_compute_type, device)
    log.info("loading speech recognition model %s on %s (%s)", model, device, compute_type)
    return FasterWhisperBackend(
        model,
        device=device,
        compute_type=compute_type,
        cpu_threads=s.asr_cpu_threads,
        batch_size=s.asr_batch_size,
        decoding=decoding_options(s),
        release_memory=release_free_memory,
        bias=BiasMode(s.asr_bias),
    )


def _russian_loader(kind: str) -> Callable[[SimpleNamespace], "ASRBackend"]:
    def load(s: SimpleNamespace) -> "ASRBackend":
        from transcribe.recognisers import open_russian_recogniser

        model = getattr(s, RUSSIAN_MODEL_SETTINGS[kind])
        device = _device(s.asr_device)
        log.info("loading %s speech recognition model %s on %s", kind, model, device)
        return open_russian_recogniser(
            kind,
            model,
            device=device,
            batch_size=s.asr_ctc_batch_size,
            vad_threshold=s.asr_vad_threshold,
            cpu_threads=s.asr_cpu_threads,
            release_memory=release_free_memory,
        )

    return load


def _load_diarizer(s: SimpleNamespace) -> "Diarizer":
    from diarize.pyannote_diarizer import PyannoteDiarizer

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


def _load_llm(s: SimpleNamespace) -> "LLMBackend | None":
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


_loaded: dict[tuple[str, str], Any] = {}
# Held while a model loads, so two threads asking for the same engine at once load it once.
_loaded_lock = threading.Lock()


def _engine(kind: str, settings: Settings, names: tuple[str, ...], load: Callable[[SimpleNamespace], Any]) -> Any:
    key = (kind, engine_key(settings, names))
    with _loaded_lock:
        if key not in _loaded:
            _loaded[key] = load(SimpleNamespace(**{name: getattr(settings, name) for name in names}))
        return _loaded[key]


class Engines:
    """The engines a configuration asks for, each shared by every configuration that reads the same settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def asr(self) -> "ASRBackend":
        return _engine("asr", self.settings, ASR_SETTINGS, _load_asr)

    def recogniser(self, name: str) -> "ASRBackend":
        """The recogniser a language routes to, by its configured name: 'whisper' (CALLINTEL_ASR_MODEL) or
        'whisper:MODEL' (a second Whisper model, e.g. one fine-tuned on Russian; the other ASR settings apply);
        'gigaam' / 'tone' (the weights CALLINTEL_ASR_GIGAAM_MODEL / CALLINTEL_ASR_TONE_MODEL point at) or
        'gigaam:PATH' / 'tone:PATH'."""
        kind, _, model = name.partition(":")
        if kind == WHISPER and not model:
            return self.asr
        if kind == WHISPER:
            return _engine("asr", self.settings.model_copy(update={"asr_model": model}), ASR_SETTINGS, _load_asr)
        if kind in RUSSIAN_MODEL_SETTINGS:
            setting = RUSSIAN_MODEL_SETTINGS[kind]
            settings = self.settings.model_copy(update={setting: model}) if model else self.settings
            if not getattr(settings, setting):
                raise RecogniserNotConfigured(kind, f"CALLINTEL_{setting.upper()}")
            return _engine(kind, settings, (*CTC_ASR_SETTINGS, setting), _russian_loader(kind))
        raise UnknownRecogniser(name)

    def router(self, russian: str | None = None) -> "LanguageRouter":
        """Calls in Russian to `russian` (else CALLINTEL_ASR_RUSSIAN_RECOGNISER), all others to Whisper; near misses
        of a call's terms corrected when CALLINTEL_ASR_BIAS_CORRECTION is on."""
        from transcribe.biasing import Correction
        from transcribe.router import LanguageRouter

        russian = russian or self.settings.asr_russian_recogniser
        by_language = {"ru": russian} if russian and russian != WHISPER else {}
        correction = Correction() if self.settings.asr_bias_correction else None
        return LanguageRouter(
            self.asr, self.recogniser, default=WHISPER, by_language=by_language, correction=correction
        )

    @property
    def diarizer(self) -> "Diarizer":
        return _engine("diarizer", self.settings, DIARIZER_SETTINGS, _load_diarizer)

    @property
    def llm(self) -> "LLMBackend | None":
        return _engine("llm", self.settings, LLM_SETTINGS, _load_llm)
