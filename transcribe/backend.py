"""The speech-recognition interface every backend implements.

`transcribe_call` (in `core.py`) only speaks to this protocol, so another recogniser, such as a Russian telephony
model (GigaAM, T-one), is added as one new module in this package and chosen by the pipeline's settings; no other
stage changes. A backend:

- is built once per worker process (loading weights is slow) and then called for many calls;
- receives one channel at a time: a 1-D float32 array at 16 kHz (`transcribe.audio.SAMPLE_RATE`), values in [-1, 1];
- `detect_language(samples)` returns an ISO 639-1 code ('ru', 'en', ...) and its probability in [0, 1].
  A single-language model returns its own language with probability 1.0;
- `transcribe(samples, language=..., channel=..., vocabulary=...)` returns words with start/end in seconds from the
  start of `samples` (not of some speech-only excerpt), `start <= end`, within the audio's duration, probability in
  [0, 1], text without surrounding spaces, and every word tagged with the `channel` it was given. `language=None`
  asks the backend to detect the language itself. `vocabulary` lists team-specific terms (product names, people);
  a backend that cannot be biased towards them ignores it. Models that emit no word timings (many CTC models do)
  must derive them, e.g. from frame alignments, because the speaker split and evidence quotes need word times;
- names itself: `name` (model path or hub name) and `version` (library and weights version), recorded with every
  result so results of different models are never mixed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from models import Word


@dataclass(frozen=True)
class ChannelTranscript:
    """Recognised words, in time order: of one channel, or of all sides of a call once merged."""

    language: str
    language_probability: float
    words: list[Word] = field(default_factory=list)


class ASRBackend(Protocol):
    name: str
    version: str

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]: ...

    def transcribe(
        self, samples: np.ndarray, *, language: str | None, channel: int, vocabulary: Sequence[str] = ()
    ) -> ChannelTranscript: ...
