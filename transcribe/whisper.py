"""faster-whisper (CTranslate2) as a speech-recognition backend."""

import importlib.metadata
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.transcribe import Segment
from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

from models import Word
from transcribe.alignment import EncoderTap, transcribe_with_word_times
from transcribe.audio import SAMPLE_RATE
from transcribe.backend import ChannelTranscript
from transcribe.biasing import TERM_SEPARATOR, WHISPER_PROMPT_TOKENS, BiasMode, fit_terms
from transcribe.features import BlockFeatureExtractor

logger = logging.getLogger(__name__)

LANGUAGE_WINDOW_S = 120


@dataclass(frozen=True)
class DecodingOptions:
    """How Whisper decodes, and what guards it against words invented in silence, tones and music. The values come
    from the caller (the pipeline's settings, which hold the product's defaults); none is chosen here.

    `beam_size` is the beam search width. A 30-s window is dropped as silence when its no-speech probability exceeds
    `no_speech_threshold` and its mean token log-probability is below `log_prob_threshold`; a window whose text
    compresses better than `compression_ratio_threshold` (a repetition loop) is decoded again at a higher
    temperature. `hallucination_silence_threshold` (seconds) skips silent stretches longer than it around a suspected
    invention. `condition_on_previous_text` feeds the previous window's text as a prompt, which can carry a loop
    forward. `vad_threshold` is Silero VAD's speech probability threshold.
    """

    beam_size: int
    condition_on_previous_text: bool
    no_speech_threshold: float
    log_prob_threshold: float
    compression_ratio_threshold: float
    hallucination_silence_threshold: float | None
    vad_threshold: float


class FasterWhisperBackend:
    """Whisper through faster-whisper, with Silero VAD and word timestamps.

    Decoding follows faster-whisper (temperature fallback, conditioning on previous text) with the given `decoding`
    options, and words are timed after decoding (`alignment.py`), so with the product's default options the words
    are exactly those of `WhisperModel.transcribe(file, beam_size=5, vad_filter=True)`. `batch_size > 0` runs the
    speech chunks through `BatchedInferencePipeline`, which pays off on a GPU; it needs the VAD to cut the chunks.
    `release_memory` is called after each channel, when its working buffers are free.

    A call's vocabulary reaches the decoder as `bias` says, cut to what Whisper's prompt holds (`bias_terms`).
    """

    def __init__(
        self,
        model: str | Path,
        *,
        decoding: DecodingOptions,
        compute_type: str,
        device: str = "cpu",
        cpu_threads: int = 0,
        vad: bool = True,
        batch_size: int = 0,
        release_memory: Callable[[], None] | None = None,
        bias: BiasMode = BiasMode.hotwords,
    ) -> None:
        if batch_size > 0 and not vad:
            raise ValueError("batched recognition cuts the audio at speech pauses: it needs vad=True")
        self.name = str(model)
        self.version = f"faster-whisper {importlib.metadata.version('faster-whisper')}"
        self.vad = vad
        self.batch_size = batch_size
        self.decoding = decoding
        self.bias = bias
        self._release_memory = release_memory
        self._model = WhisperModel(str(model), device=device, compute_type=compute_type, cpu_threads=cpu_threads)
        # The stock extractor's peak grows by ~50 MB per minute of speech; this one gives the same features.
        self._model.feature_extractor = BlockFeatureExtractor(**self._model.feat_kwargs)
        self._batched = BatchedInferencePipeline(model=self._model) if batch_size > 0 else None
        self._encodings = EncoderTap(self._model)
        logger.info("loaded whisper model %s on %s (%s, batch size %d)", self.name, device, compute_type, batch_size)

    def bias_terms(self, vocabulary: Sequence[str]) -> list[str]:
        """The vocabulary's first terms that fit Whisper's prompt, counted with the model's own tokenizer."""
        tokenizer = self._model.hf_tokenizer
        return fit_terms(
            vocabulary,
            lambda text: len(tokenizer.encode(" " + text, add_special_tokens=False).ids),
            WHISPER_PROMPT_TOKENS,
        )

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        return self._language_of(self._speech_only(samples) if self.vad else samples, samples)

    def _language_of(self, speech: np.ndarray, samples: np.ndarray) -> tuple[str, float]:
        if not self._model.model.is_multilingual:
            return "en", 1.0
        # With no speech at all the VAD leaves nothing; the raw audio still yields a (low-confidence) guess. Whisper
        # reads the first 30 s.
        audio = speech if speech.size else samples
        language, probability, _ = self._model.detect_language(audio=audio[: 30 * SAMPLE_RATE])
        return language, _unit(probability)

    def transcribe(
        self, samples: np.ndarray, *, language: str | None, channel: int, vocabulary: Sequence[str] = ()
    ) -> ChannelTranscript:
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        guards = asdict(self.decoding)
        vad_threshold = guards.pop("vad_threshold")
        terms = self.bias_terms(vocabulary)
        prompt = TERM_SEPARATOR.join(terms) or None
        options = {
            **guards,
            "hotwords": prompt if self.bias is BiasMode.hotwords else None,
            "initial_prompt": prompt if self.bias is BiasMode.prompt else None,
        }
        if options["hotwords"]:
            # faster-whisper gives the hotwords and the text decoded so far up to 223 tokens each: together they can
            # fill Whisper's 448-token context, leaving a window's own text too few tokens (it is cut short) or none
            # (decoding fails). The hotwords take the place of the text decoded so far.
            options["condition_on_previous_text"] = False
        # The language is detected here rather than inside faster-whisper, which fails on audio where the VAD finds
        # no speech.
        if self._batched is None and self.decoding.hallucination_silence_threshold is None:
            segments, language, probability = self._timed_after_decoding(samples, language, vad_threshold, options)
        else:
            segments, language, probability = self._timed_while_decoding(samples, language, vad_threshold, options)
        duration = samples.shape[-1] / SAMPLE_RATE
        words = _words(segments, channel, duration)
        if self._release_memory is not None:
            self._release_memory()
        return ChannelTranscript(language=language, language_probability=probability, words=words)

    def _timed_after_decoding(
        self, samples: np.ndarray, language: str | None, vad_threshold: float, options: dict
    ) -> tuple[Iterable[Segment], str, float]:
        """Words timed after decoding (`alignment.py`); one VAD pass serves both the language and the recognition."""
        speech = get_speech_timestamps(samples, VadOptions(threshold=vad_threshold)) if self.vad else None
        audio = samples if speech is None else _speech_audio(samples, speech)
        probability = 1.0
        if language is None:
            language, probability = self._language_of(audio, samples)
        segments = transcribe_with_word_times(self._model, self._encodings, audio, speech, language=language, **options)
        return segments, language, probability

    def _timed_while_decoding(
        self, samples: np.ndarray, language: str | None, vad_threshold: float, options: dict
    ) -> tuple[Iterable[Segment], str, float]:
        """Batched chunks are cut by the VAD, not by where words end, so timing words while decoding is harmless
        there; `hallucination_silence_threshold` looks at word times while decoding."""
        probability = 1.0
        if language is None:
            language, probability = self.detect_language(samples)
        segments: Iterable[Segment]
        if self._batched is not None:
            # The VAD options go as a dict: only then does the pipeline cap each chunk at its 30-s window.
            segments, _ = self._batched.transcribe(
                samples,
                language=language,
                batch_size=self.batch_size,
                vad_parameters={"threshold": vad_threshold},
                word_timestamps=True,
                **options,
            )
        else:
            segments, _ = self._model.transcribe(
                samples,
                language=language,
                vad_filter=self.vad,
                vad_parameters=VadOptions(threshold=vad_threshold) if self.vad else None,
                word_timestamps=True,
                **options,
            )
        return segments, language, probability

    def _speech_only(self, samples: np.ndarray) -> np.ndarray:
        # Whisper reads only the first 30 s of speech to tell the language: a prefix of the call usually holds that,
        # which spares a VAD pass over an hour-long recording.
        vad = VadOptions(threshold=self.decoding.vad_threshold)
        prefix = samples[: LANGUAGE_WINDOW_S * SAMPLE_RATE]
        speech = get_speech_timestamps(prefix, vad)
        if speech or prefix.size == samples.size:
            return _speech_audio(prefix, speech)
        return _speech_audio(samples, get_speech_timestamps(samples, vad))


def _speech_audio(samples: np.ndarray, speech: list[dict]) -> np.ndarray:
    """The speech the VAD found, end to end; empty when it found none."""
    return np.concatenate(collect_chunks(samples, speech)[0]) if speech else samples[:0]


def _words(segments: Iterable[Segment], channel: int, duration: float) -> list[Word]:
    words: list[Word] = []
    for segment in segments:
        for word in segment.words or ():
            text = word.word.strip()
            if not text:
                continue
            start = min(max(word.start, 0.0), duration)
            end = min(max(word.end, start), duration)
            words.append(Word(text=text, start=start, end=end, probability=_unit(word.probability), channel=channel))
    return words


def _unit(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)
