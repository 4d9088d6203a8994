"""Long recordings cut into speech segments a recogniser with a bounded input takes in one pass.

CTC recognisers (GigaAM, T-one) read a whole segment at once, and their attention or state grows with its length,
so a call is cut where Silero VAD (the one faster-whisper ships) hears speech, each piece at most a set length;
silence is never recognised. Segments are sample ranges of the channel, so word times found in a segment only need
the segment's start added.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from models import Word
from transcribe.audio import SAMPLE_RATE
from transcribe.ctc import TimedWord

T = TypeVar("T")


@dataclass(frozen=True)
class Segment:
    """Samples [start, end) of a channel at SAMPLE_RATE."""

    start: int
    end: int

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE


def speech_segments(samples: np.ndarray, *, max_s: float, vad_threshold: float | None) -> list[Segment]:
    """Where speech is, in pieces of at most `max_s` seconds; `vad_threshold=None` cuts the whole audio evenly."""
    if vad_threshold is None:
        step = int(max_s * SAMPLE_RATE)
        return [Segment(start, min(start + step, samples.size)) for start in range(0, samples.size, step)]
    # Silero pads each piece by 400 ms of context; the cap leaves room for that padding.
    vad = VadOptions(threshold=vad_threshold, max_speech_duration_s=max(max_s - 1.0, 1.0))
    found = get_speech_timestamps(np.ascontiguousarray(samples, dtype=np.float32), vad)
    return [Segment(int(piece["start"]), int(piece["end"])) for piece in found if piece["end"] > piece["start"]]


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for first in range(0, len(items), max(size, 1)):
        yield items[first : first + max(size, 1)]


def channel_words(timed: Sequence[TimedWord], segment: Segment, channel: int) -> list[Word]:
    """A segment's words as the backend interface promises them: within the segment, start <= end, in time order."""
    low, high = segment.start / SAMPLE_RATE, segment.end / SAMPLE_RATE
    words = []
    last = low
    for word in timed:
        start = min(max(word.start, last), high)
        end = min(max(word.end, start), high)
        probability = min(max(word.probability, 0.0), 1.0)
        words.append(Word(text=word.text, start=start, end=end, probability=probability, channel=channel))
        last = start
    return words
