"""Conversation metrics measured from utterance timings and words: who talked how much, monologues, questions.

Definitions (all times in seconds, utterances of role 'unknown' count as speech but belong to neither role):
- talk time: the length of the union of a role's utterance spans; talk ratio: that over both roles' talk time;
- backchannel: an utterance shorter than `BACKCHANNEL_S` ("угу", "yeah"); it neither breaks the other role's
  monologue nor counts as an interruption;
- monologue: a run of one role's utterances, each following the previous after less than `MONOLOGUE_GAP_S` of
  silence, with no other role's utterance in between except backchannels; its length is first start to last end;
- interruption: an utterance of one role (not a backchannel) that starts while the other role's utterance is under
  way and at least `INTERRUPTION_OVERLAP_S` before it ends;
- overlap: the time both roles talk at once; silence share: the share of the call no one talks;
- questions: sentences ending with '?' in the recogniser's punctuation, plus sentences that have no end punctuation
  at all and start with a question word of the call's language (recognisers sometimes drop punctuation);
- speech rate: words per minute of the role's own talk time.
"""

import re
from collections.abc import Iterable

from models import Conversation, ConversationMetrics, Role, RoleMetrics, Utterance

BACKCHANNEL_S = 1.0
MONOLOGUE_GAP_S = 1.0
INTERRUPTION_OVERLAP_S = 0.3

_SENTENCE = re.compile(r"[^.!?…]+[.!?…]*")
_QUESTION_STARTS = {
    "ru": [
        "как",
        "кто",
        "что",
        "чем",
        "чего",
        "кому",
        "когда",
        "где",
        "куда",
        "откуда",
        "почему",
        "зачем",
        "сколько",
        "какой",
        "какая",
        "какое",
        "какие",
        "каким",
        "какую",
        "какого",
        "каких",
        "который",
        "которая",
        "ли",
        "разве",
        "неужели",
        "можно",
        "могу",
        "могли",
        "скажите",
        "подскажите",
    ],
    "en": [
        "what",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "which",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "should",
        "may",
        "have",
        "has",
    ],
}

Span = tuple[float, float]


def _union(spans: Iterable[Span]) -> list[Span]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _length(spans: Iterable[Span]) -> float:
    return sum(end - start for start, end in spans)


def _intersection(a: list[Span], b: list[Span]) -> float:
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0.0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _is_backchannel(utterance: Utterance) -> bool:
    return utterance.end - utterance.start < BACKCHANNEL_S


def _longest_monologue(utterances: list[Utterance], role: Role) -> float:
    longest = 0.0
    run: list[float] | None = None
    for utterance in sorted(utterances, key=lambda u: u.start):
        if utterance.role == role:
            if run is None or utterance.start - run[1] >= MONOLOGUE_GAP_S:
                run = [utterance.start, utterance.end]
            else:
                run[1] = max(run[1], utterance.end)
            longest = max(longest, run[1] - run[0])
        elif not _is_backchannel(utterance):
            run = None
    return longest


def _interruptions(utterances: list[Utterance], role: Role) -> int:
    others = [u for u in utterances if u.role not in (role, Role.unknown)]
    count = 0
    for utterance in utterances:
        if utterance.role != role or _is_backchannel(utterance):
            continue
        if any(o.start < utterance.start and o.end - utterance.start >= INTERRUPTION_OVERLAP_S for o in others):
            count += 1
    return count


def count_questions(text: str, language: str) -> int:
    """Questions in one utterance's text, by punctuation or, for unpunctuated sentences, by their first word."""
    starts = _QUESTION_STARTS.get(language.split("-")[0], [])
    count = 0
    for sentence in _SENTENCE.findall(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if sentence.endswith("?"):
            count += 1
        elif not sentence.endswith((".", "!", "…")):
            first = re.findall(r"\w+", sentence.lower())[:1]
            count += bool(first and first[0] in starts)
    return count


def _role_metrics(conversation: Conversation, role: Role, both_talk_s: float) -> RoleMetrics:
    own = [u for u in conversation.utterances if u.role == role]
    talk = _length(_union((u.start, u.end) for u in own))
    words = sum(1 for u in own for w in u.words if re.search(r"\w", w.text))
    return RoleMetrics(
        talk_time_s=round(talk, 3),
        talk_ratio=round(talk / both_talk_s, 4) if both_talk_s > 0 else 0.0,
        longest_monologue_s=round(_longest_monologue(conversation.utterances, role), 3),
        interruptions=_interruptions(conversation.utterances, role),
        questions=sum(count_questions(u.text, conversation.language) for u in own),
        words=words,
        speech_rate_wpm=round(words / (talk / 60), 1) if talk > 0 else 0.0,
    )


def measure(conversation: Conversation) -> ConversationMetrics:
    """Talk time, monologues, interruptions, overlap, silence, questions and speech rate of one call."""
    utterances = conversation.utterances
    rep = _union((u.start, u.end) for u in utterances if u.role == Role.rep)
    customer = _union((u.start, u.end) for u in utterances if u.role == Role.customer)
    anyone = _union((u.start, u.end) for u in utterances)
    duration = max(conversation.duration_s, max((u.end for u in utterances), default=0.0))
    both_talk = _length(rep) + _length(customer)
    return ConversationMetrics(
        duration_s=round(duration, 3),
        silence_share=round(min(1.0, max(0.0, 1 - _length(anyone) / duration)), 4) if duration > 0 else 1.0,
        overlap_s=round(_intersection(rep, customer), 3),
        rep=_role_metrics(conversation, Role.rep, both_talk),
        customer=_role_metrics(conversation, Role.customer, both_talk),
    )
