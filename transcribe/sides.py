"""Who said what on a call recorded one side per channel: how much the two talk at once, and which side said each
word recognised on the mix of the channels."""

from dataclasses import dataclass

import numpy as np

from models import Word

FRAME_S = 0.02
"""Energy is summed over 20-ms frames: finer than any word, coarse enough to keep an hour's frames small."""
TALK_FRAMES = 5
"""Whether both talk is judged on 100-ms frames (five energy frames): a syllable's length."""
ACTIVE_DB = -25.0
CROSS_TALK_DB = -15.0


@dataclass(frozen=True)
class ChannelEnergy:
    """Running sums of each channel's energy over FRAME_S frames, starting at 0: (channels, frames + 1).

    A span's energy is a difference of two entries, so one pass over the audio serves every word and frame.
    """

    cumulative: np.ndarray
    frame: int
    """Samples per frame."""
    sample_rate: int

    @classmethod
    def of(cls, sides: list[np.ndarray], sample_rate: int) -> "ChannelEnergy":
        frame = max(1, round(FRAME_S * sample_rate))
        return cls(np.stack([_cumulative_frame_energy(side, frame) for side in sides]), frame, sample_rate)


def attribute_to_sides(words: list[Word], energy: ChannelEnergy) -> list[Word]:
    """Each word tagged with the channel that carries the most energy over its time span.

    On a call recorded one side per channel, the other side reaches a channel only as faint cross-talk, so the louder
    channel over a word is the side that said it. A word whose span holds no energy at all (its times drifted into a
    pause) keeps the side of the word before it.
    """
    cumulative, frame, rate = energy.cumulative, energy.frame, energy.sample_rate
    last_frame = cumulative.shape[1] - 1
    tagged: list[Word] = []
    channel = 0
    for word in words:
        first = min(int(word.start * rate) // frame, last_frame - 1)
        stop = min(max(int(np.ceil(word.end * rate / frame)), first + 1), last_frame)
        spans = cumulative[:, stop] - cumulative[:, first]
        if spans.max() > 0.0:
            channel = int(spans.argmax())
        tagged.append(word.model_copy(update={"channel": channel}))
    return tagged


def _cumulative_frame_energy(samples: np.ndarray, frame: int) -> np.ndarray:
    """Running sum of each frame's energy, starting at 0."""
    frames = -(-samples.shape[0] // frame)
    per_frame = np.zeros(frames, dtype=np.float64)
    # A block at a time, so a long call never holds a squared copy of itself.
    block = frame * 3000
    for start in range(0, samples.shape[0], block):
        piece = samples[start : start + block].astype(np.float64)
        whole = piece.shape[0] // frame
        first = start // frame
        per_frame[first : first + whole] = np.square(piece[: whole * frame]).reshape(whole, frame).sum(axis=1)
        if piece.shape[0] > whole * frame:
            per_frame[first + whole] = np.square(piece[whole * frame :]).sum()
    return np.concatenate([[0.0], np.cumsum(per_frame)])


def double_talk_share(energy: ChannelEnergy) -> float:
    """Share of the call's speech time during which both people talk at once, from the channels' energy.

    A 100-ms frame is speech on a channel when its energy is within ACTIVE_DB of that channel's loud speech (its
    95th-percentile frame), and both talk when both channels are speech and the quieter is within CROSS_TALK_DB of
    the louder: cross-talk from the other side (-30 dB and lower) and line noise stay far below either bound.
    """
    per_frame = np.diff(energy.cumulative, axis=1)
    frames = per_frame.shape[1] // TALK_FRAMES
    if frames == 0:
        return 0.0
    talk = per_frame[:, : frames * TALK_FRAMES].reshape(per_frame.shape[0], frames, TALK_FRAMES).sum(axis=2)
    level = 10 * np.log10(talk + 1e-12)
    speech = level >= np.percentile(level, 95, axis=1, keepdims=True) + ACTIVE_DB
    close = level.min(axis=0) >= level.max(axis=0) + CROSS_TALK_DB
    speaking = int(speech.any(axis=0).sum())
    return float((speech.all(axis=0) & close).sum() / speaking) if speaking else 0.0
