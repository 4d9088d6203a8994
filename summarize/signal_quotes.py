"""Quotes for deal-gap signals: whole sentences or clipped utterances, always the transcript's own words.

A phrase match alone ("дорого") says too little to a head of sales; a signal quotes the sentence it stands in.
A sentence ends at a word that ends in . ! ? or …, as the recogniser punctuated it.
"""

from collections.abc import Sequence

from models import Conversation, Evidence, Utterance, Word

CLIP_WORDS = 30
_SENTENCE_END = (".", "!", "?", "…")


def quote(words: Sequence[Word], utterance: Utterance) -> Evidence:
    """Evidence quoting `words`, which belong to `utterance`."""
    return Evidence(
        quote=" ".join(word.text.strip() for word in words),
        start=words[0].start,
        end=words[-1].end,
        role=utterance.role,
    )


def sentences(utterance: Utterance) -> list[list[Word]]:
    """The utterance's words, grouped into sentences."""
    groups: list[list[Word]] = [[]]
    for word in utterance.words:
        if not word.text.strip():
            continue
        groups[-1].append(word)
        if word.text.strip().endswith(_SENTENCE_END):
            groups.append([])
    return [group for group in groups if group]


def sentence_text(words: Sequence[Word]) -> str:
    return " ".join(word.text.strip() for word in words)


def sentence_at(utterance: Utterance, start: float) -> list[Word]:
    """The sentence of `utterance` holding the word that starts at `start` (a phrase match's start)."""
    for group in sentences(utterance):
        if group[0].start <= start <= group[-1].end:
            return group
    return list(utterance.words)


def opening(utterance: Utterance) -> list[Evidence]:
    """The utterance clipped to its first `CLIP_WORDS` words (a reply is judged by how it begins); none if silent."""
    words = [word for word in utterance.words if word.text.strip()]
    return [quote(words[:CLIP_WORDS], utterance)] if words else []


def closing(utterance: Utterance) -> list[Evidence]:
    """The utterance clipped to its last `CLIP_WORDS` words (a call is judged by how it ends); none if silent."""
    words = [word for word in utterance.words if word.text.strip()]
    return [quote(words[-CLIP_WORDS:], utterance)] if words else []


def utterance_index_at(conversation: Conversation, time: float | None) -> int | None:
    """The index of the utterance that was under way at `time`, or None."""
    if time is None:
        return None
    for index, utterance in enumerate(conversation.utterances):
        if utterance.start <= time <= utterance.end:
            return index
    return None
