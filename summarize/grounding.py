"""Checking that a quote an LLM gives is really in the transcript, and replacing it with the transcript's own words.

The quote and the transcript are compared as lower-case tokens without punctuation ('ё' read as 'е'), so case,
punctuation and line labels the model copied ("[01:02] REP:") do not matter. Small recognition differences are
absorbed by rapidfuzz's partial alignment with a score of at least `MIN_SCORE`. The span found is widened to whole
words and kept inside one utterance, so the returned quote is always a verbatim substring of an utterance's text.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from models import Conversation, Evidence, Role
from summarize.text import tokenize

MIN_SCORE = 90.0
MIN_QUOTE_CHARS = 4
_LABEL = re.compile(
    r"^\s*(\[\d{1,2}:\d{2}(:\d{2})?\]\s*)?((rep|customer|agent|менеджер|клиент|продавец|покупатель)\s*:\s*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Piece:
    utterance: int
    word: int
    start: int
    end: int


def _clean(quote: str) -> str:
    return _LABEL.sub("", quote.strip().strip("\"'«»“”„")).strip()


def _index(conversation: Conversation, role: Role | None) -> tuple[str, list[_Piece]]:
    """The transcript as one normalised string, with each token's position and the word it came from."""
    pieces: list[_Piece] = []
    parts: list[str] = []
    cursor = 0
    for u_index, utterance in enumerate(conversation.utterances):
        if role is not None and utterance.role != role:
            continue
        for w_index, word in enumerate(utterance.words):
            for token in tokenize(word.text):
                if parts:
                    cursor += 1
                parts.append(token)
                pieces.append(_Piece(u_index, w_index, cursor, cursor + len(token)))
                cursor += len(token)
    return " ".join(parts), pieces


def _covered(pieces: Sequence[_Piece], start: int, end: int) -> list[_Piece]:
    return [piece for piece in pieces if piece.end > start and piece.start < end]


def ground_quote(conversation: Conversation, quote: str, role: Role | None = None) -> Evidence | None:
    """The transcript span a quote stands for, as verbatim Evidence with times and role; None when it is not there."""
    needle = " ".join(tokenize(_clean(quote)))
    if len(needle.replace(" ", "")) < MIN_QUOTE_CHARS:
        return None
    haystack, pieces = _index(conversation, role)
    if not haystack:
        return None
    exact = haystack.find(needle)
    if exact >= 0:
        start, end = exact, exact + len(needle)
    else:
        if len(needle) > len(haystack):
            return None
        alignment = fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=MIN_SCORE)
        if alignment is None:
            return None
        start, end = alignment.dest_start, alignment.dest_end
    covered = _covered(pieces, start, end)
    if not covered:
        return None
    # A span running over a turn change is cut to the utterance holding most of it.
    counts: dict[int, int] = {}
    for piece in covered:
        counts[piece.utterance] = counts.get(piece.utterance, 0) + piece.end - piece.start
    u_index = max(counts, key=lambda index: counts[index])
    utterance = conversation.utterances[u_index]
    word_indexes = [piece.word for piece in covered if piece.utterance == u_index]
    words = utterance.words[min(word_indexes) : max(word_indexes) + 1]
    return Evidence(
        quote=" ".join(word.text.strip() for word in words),
        start=words[0].start,
        end=words[-1].end,
        role=utterance.role,
    )
