"""Words to speakers by time, and speakers' consecutive words to utterances."""

from collections.abc import Sequence

import numpy as np

from diarize.diarizer import Turn
from models import Role, Utterance, Word

PAUSE_S = 1.5
"""A silence longer than this inside one speaker's words starts a new utterance."""

TURN_GAP_S = 0.5
"""Words of one channel closer than this belong to one speech turn."""


def attribute_words(words: Sequence[Word], turns: Sequence[Turn], *, default: str) -> list[str]:
    """The speaker of each word: the turn it overlaps most, else the nearest turn; `default` when there are no turns.

    Overlapping speech gives overlapping turns; the longer overlap wins, so a word inside a back-channel goes to
    whoever holds the floor unless the back-channel covers it better.
    """
    if not turns:
        return [default] * len(words)
    starts = np.array([turn[0] for turn in turns])
    ends = np.array([turn[1] for turn in turns])
    labels = [turn[2] for turn in turns]
    speakers = []
    for word in words:
        overlap = np.minimum(ends, word.end) - np.maximum(starts, word.start)
        if overlap.max() > 0:
            speakers.append(labels[int(overlap.argmax())])
            continue
        distance = np.maximum(starts - word.end, word.start - ends)
        speakers.append(labels[int(distance.argmin())])
    return speakers


def group_utterances(
    words: Sequence[Word],
    speakers: Sequence[str],
    roles: dict[str, Role],
    *,
    pause_s: float = PAUSE_S,
    overlapping: bool = False,
) -> list[Utterance]:
    """Consecutive words of one speaker (in time order) as one utterance, split where the speaker pauses longer.

    With `overlapping` (one speaker per channel, so both may talk at once) each speaker's words are grouped on their
    own and the utterances then ordered by start: talk over the other side does not cut a turn into single words.
    """
    if len(words) != len(speakers):
        raise ValueError(f"got {len(speakers)} speakers for {len(words)} words")
    utterances: list[Utterance] = []
    if overlapping:
        for speaker in sorted(set(speakers)):
            mine = [i for i, label in enumerate(speakers) if label == speaker]
            utterances += group_utterances([words[i] for i in mine], [speaker] * len(mine), roles, pause_s=pause_s)
        return sorted(utterances, key=lambda u: (u.start, u.end))
    order = sorted(range(len(words)), key=lambda i: (words[i].start, words[i].end))
    current: list[Word] = []
    current_speaker = ""
    for index in order:
        word, speaker = words[index], speakers[index]
        if current and (speaker != current_speaker or word.start - current[-1].end > pause_s):
            utterances.append(_utterance(current, current_speaker, roles))
            current = []
        current.append(word)
        current_speaker = speaker
    if current:
        utterances.append(_utterance(current, current_speaker, roles))
    return utterances


def _utterance(words: list[Word], speaker: str, roles: dict[str, Role]) -> Utterance:
    return Utterance(
        speaker=speaker,
        role=roles.get(speaker, Role.unknown),
        start=words[0].start,
        end=max(word.end for word in words),
        words=words,
    )


def channel_turns(words: Sequence[Word], *, gap_s: float = TURN_GAP_S) -> list[Turn]:
    """Speech turns of a per-channel recording from its recognised words: one speaker per channel."""
    turns: list[Turn] = []
    for channel in sorted({word.channel for word in words}):
        speaker = channel_speaker(channel)
        spoken = sorted((word for word in words if word.channel == channel), key=lambda w: w.start)
        start, end = spoken[0].start, spoken[0].end
        for word in spoken[1:]:
            if word.start - end > gap_s:
                turns.append((start, end, speaker))
                start = word.start
            end = max(end, word.end)
        turns.append((start, end, speaker))
    return sorted(turns)


def channel_speaker(channel: int) -> str:
    return f"channel_{channel}"


def first_appearance(turns: Sequence[Turn]) -> list[str]:
    """Speaker labels in the order they first speak."""
    order: list[str] = []
    for _, _, speaker in sorted(turns):
        if speaker not in order:
            order.append(speaker)
    return order
