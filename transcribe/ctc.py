"""Greedy CTC decoding and word timings from its frame alignment, shared by the CTC recognisers (GigaAM, T-one).

A CTC model gives, for every output frame, log-probabilities over its tokens and a blank. Greedy decoding takes the
most likely class of each frame, merges runs of the same class and drops blanks; the frames a token's run covers
are where it was said, so a word's start is its first token's first frame and its end the frame after its last
token's last frame.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WORD_START = "▁"
"""SentencePiece marks a piece that begins a word with it; character vocabularies use a space token instead."""


@dataclass(frozen=True)
class TokenRun:
    """One emitted token and the frames [first, last] its run of frames covers."""

    token: int
    first: int
    last: int
    probability: float


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float
    probability: float


def greedy_runs(log_probs: np.ndarray, blank: int) -> list[TokenRun]:
    """The tokens greedy CTC decoding emits from `log_probs` (frames × classes), each with its frames.

    A token's probability is the mean, over its frames, of the probability the model gave it there.
    """
    if log_probs.ndim != 2:
        raise ValueError(f"CTC log-probabilities must be frames × classes, got shape {log_probs.shape}")
    if not 0 <= blank < log_probs.shape[1]:
        raise ValueError(f"blank id {blank} is outside the model's {log_probs.shape[1]} classes")
    labels = log_probs.argmax(axis=1)
    if labels.size == 0:
        return []
    best = np.exp(np.take_along_axis(log_probs, labels[:, None], axis=1)[:, 0].astype(np.float64))
    # Starts of runs of equal labels.
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    ends = np.r_[starts[1:], labels.size] - 1
    return [
        TokenRun(int(labels[s]), int(s), int(e), float(best[s : e + 1].mean()))
        for s, e in zip(starts, ends, strict=True)
        if labels[s] != blank
    ]


def timed_words(
    runs: Sequence[TokenRun], pieces: Sequence[str], frame_s: float, offset_s: float = 0.0
) -> list[TimedWord]:
    """Tokens grouped into words at a space token or a piece starting with WORD_START, timed in seconds.

    `pieces[token]` is the token's text; frame f spans [offset_s + f·frame_s, offset_s + (f+1)·frame_s). A word's
    probability is that of its least certain token.
    """
    words: list[TimedWord] = []
    text: list[str] = []
    members: list[TokenRun] = []

    def close() -> None:
        word = "".join(text).strip()
        if word:
            start = offset_s + members[0].first * frame_s
            end = offset_s + (members[-1].last + 1) * frame_s
            words.append(TimedWord(word, start, end, min(run.probability for run in members)))
        text.clear()
        members.clear()

    for run in runs:
        piece = pieces[run.token]
        if piece.isspace():
            close()
            continue
        if piece.startswith(WORD_START):
            close()
            piece = piece[len(WORD_START) :]
        text.append(piece)
        members.append(run)
    close()
    return words
