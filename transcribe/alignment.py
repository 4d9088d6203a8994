"""Word times for Whisper's decoded text, found after each window is decoded so that they cannot change the text.

faster-whisper's `word_timestamps=True` times each 30-s window's words while decoding and then starts the next window
at the last word's end rather than where the window's own timestamps end. That moves every later window, and with it
the text: on a SpokenWOZ call it cost five words of 144. Here the call is decoded exactly as
`WhisperModel.transcribe(audio, vad_filter=True)` decodes it, each window's words are timed by the same
cross-attention alignment on the window's own encoder output, and the times are mapped back from the speech-only
audio to the call.
"""

import inspect
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import Segment, Word, restore_speech_timestamps

from transcribe.audio import SAMPLE_RATE

_DEFAULTS = inspect.signature(WhisperModel.transcribe).parameters
PREPEND_PUNCTUATIONS: str = _DEFAULTS["prepend_punctuations"].default
APPEND_PUNCTUATIONS: str = _DEFAULTS["append_punctuations"].default


class EncoderTap:
    """Stands in for `model.encode` and, inside `keeping()`, keeps the encoder output of the window decoded last.

    faster-whisper (1.2) encodes each 30-s window just before decoding it and yields that window's segments before
    encoding the next, so while a window's segments are being read, the kept output is theirs. Reusing it spares
    encoding every window a second time, which costs as much as the rest of word timing. What is kept is per thread,
    and dropped on leaving `keeping()`.
    """

    def __init__(self, model: WhisperModel) -> None:
        self._encode = model.encode
        self._local = threading.local()
        model.encode = self

    def __call__(self, features: np.ndarray) -> ctranslate2.StorageView:
        output = self._encode(features)
        if getattr(self._local, "keeping", False):
            self._local.output = output
        return output

    @contextmanager
    def keeping(self) -> Iterator[None]:
        self._local.keeping = True
        try:
            yield
        finally:
            self._local.keeping = False
            self._local.output = None

    def latest(self) -> ctranslate2.StorageView:
        return self._local.output


def transcribe_with_word_times(
    model: WhisperModel,
    tap: EncoderTap,
    audio: np.ndarray,
    speech: list[dict] | None,
    *,
    language: str,
    **options: object,
) -> list[Segment]:
    """Segments with `words`; `options` go to `model.transcribe`.

    `speech`: the VAD's speech chunks of the call, `audio` then holding only that speech end to end (as faster-whisper
    cuts it), and the times come back in the call's time; None when `audio` is the whole call, unfiltered.
    """
    if speech is not None and not speech:
        return []
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
    content_frames = audio.shape[0] // model.feature_extractor.hop_length
    with tap.keeping():
        decoded, _ = model.transcribe(audio, language=language, vad_filter=False, word_timestamps=False, **options)
        segments = _timed(model, tap, decoded, tokenizer, content_frames=content_frames)
    if speech is not None:
        segments = list(restore_speech_timestamps(segments, speech, SAMPLE_RATE))
    return segments


def _timed(
    model: WhisperModel, tap: EncoderTap, decoded: Iterable[Segment], tokenizer: Tokenizer, *, content_frames: int
) -> list[Segment]:
    segments: list[Segment] = []
    window: list[Segment] = []
    encoding: ctranslate2.StorageView | None = None
    last_speech = 0.0
    for segment in decoded:
        if window and segment.seek != window[0].seek:
            last_speech = _time_window(model, window, encoding, tokenizer, content_frames, last_speech)
            window = []
        if not window:
            encoding = tap.latest()
        window.append(segment)
        segments.append(segment)
    if window:
        _time_window(model, window, encoding, tokenizer, content_frames, last_speech)
    return segments


def _time_window(
    model: WhisperModel,
    window: list[Segment],
    encoding: ctranslate2.StorageView | None,
    tokenizer: Tokenizer,
    content_frames: int,
    last_speech: float,
) -> float:
    """Times the words of one window's segments; returns where its speech ends, for the next window."""
    seek = window[0].seek
    num_frames = min(model.feature_extractor.nb_max_frames, content_frames - seek)
    entries = [{"seek": seek, "start": s.start, "end": s.end, "tokens": s.tokens} for s in window]
    previous_end = last_speech
    last_speech = model.add_word_timestamps(
        [entries], tokenizer, encoding, num_frames, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS, last_speech
    )
    # A window starts at the last timestamp decoded in the one before, whose last word may be aligned a little past
    # it: a word starting before the previous window's speech ends is moved to that end, keeping words in time order.
    speech_end = max(last_speech, previous_end)
    for segment, entry in zip(window, entries, strict=True):
        words = []
        for word in entry["words"]:
            start = max(word["start"], previous_end)
            words.append(Word(**(word | {"start": start, "end": max(word["end"], start)})))
            speech_end = max(speech_end, words[-1].end)
        segment.words = words
        segment.start, segment.end = entry["start"], entry["end"]
    return speech_end
