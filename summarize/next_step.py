"""Reading the next step from the end of a call: what the rep proposed and what the customer answered.

The rep's proposals are their utterances in the call's last part (from `LATE_SHARE` of its length: a next step
is set late, and earlier dates are the past, "в прошлый четверг созванивались", or the product, "можем и в
понедельник, и в среду", both read as proposals on dev when the whole call was searched) whose closest span
reaches the item's `yes_at` against its examples and phrases. Each is read, latest first, with the customer's
reply (within `REPLY_LOOKAHEAD` utterances) and the rep's confirmation after it:
- agreed_dated: the reply accepts (an acceptance word in its first words, no refusal) and a date or clock time is
  said in the proposal, the reply or the confirmation;
- agreed_undated: accepted, but no date or time;
- declined: every proposal was refused or left vague ("я подумаю", "I'll call you");
- none: no proposal while the rep said at least `CLOSING_MIN_WORDS` words there (a vague call-back close to a
  negative example, "если что, звоните", is its evidence);
- unclear: the closest utterance comes within the item's `no_below`..`yes_at`, or the end of the call is not heard.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from models import Conversation, Evidence, Role, Utterance
from models.script import ItemExamples
from summarize.extract_dates import find_dates
from summarize.meaning import best_candidate, language_of, speaker_indexes, utterance_evidence
from summarize.phrases import find_phrases
from summarize.text import tokenize

REPLY_LOOKAHEAD = 3
LATE_SHARE = 0.4
# The rep's words in the call's last part for its absence of a next step to count: closing words ("Thanks for your
# time, have a good day") are enough to show the call was heard to its end.
CLOSING_MIN_WORDS = 6
_ACCEPT = {
    "ru": ("да", "давайте", "давай", "хорошо", "договорились", "подходит", "отлично", "можно", "пойдет", "удобно",
           "конечно", "идет", "согласен", "согласна", "жду", "ок", "окей", "записала", "записал",
           "годится", "нормально", "устраивает"),
    "en": ("yes", "yeah", "yep", "sure", "sounds", "works", "perfect", "great", "okay", "ok", "fine", "deal",
           "definitely", "absolutely", "good", "booked"),
}  # fmt: skip
_DECLINE = {
    "ru": ["не надо", "не нужно", "не стоит", "не готов", "не готовы", "не буду", "пока не", "не получится",
           "не могу", "не хочу", "сам позвоню", "сама позвоню", "сами позвоним", "сам наберу", "сами наберем",
           "я подумаю", "мы подумаем", "надо подумать", "нет спасибо", "не интересно", "не актуально", "не сейчас"],
    "en": ["no thanks", "not now", "not interested", "i'll pass", "we'll pass", "don't think so", "let me think",
           "i'll think", "i'll call you", "i'll reach out", "we'll reach out", "not ready", "can't commit",
           "hold off", "not right now", "i'd rather not"],
}  # fmt: skip
_TIME = re.compile(
    r"\b(?:в|во|к|at|around|by)\s+\d{1,2}(?:[:.]\d{2})?|\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b"
    r"|\b(?:понедельник|вторник|сред[уыа]|четверг|пятниц[уыа]|суббот[уыа]|воскресень[ея]|завтра|послезавтра"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow)\w*"
    r"|\b(?:в|во)\s+(?:час|два|три|четыре|пять|шесть|семь|восемь|девять|десять|одиннадцать|двенадцать)\w*",
    re.IGNORECASE,
)


class Outcome(StrEnum):
    agreed_dated = "agreed_dated"
    agreed_undated = "agreed_undated"
    declined = "declined"
    none = "none"
    unclear = "unclear"


@dataclass(frozen=True)
class NextStep:
    outcome: Outcome
    evidence: tuple[Evidence, ...]
    note: str


def _next_index(utterances: Sequence[Utterance], index: int, role: Role) -> int | None:
    for later in range(index + 1, min(index + 1 + REPLY_LOOKAHEAD, len(utterances))):
        if utterances[later].role == role:
            return later
    return None


def _declined(reply: Utterance, language: str) -> bool:
    if tokenize(reply.text)[:1] in (["нет"], ["no"], ["nope"]):
        return True
    return any(not m.negated for m in find_phrases([reply], _DECLINE.get(language, []), language))


def _accepted(reply: Utterance, language: str) -> bool:
    opening = tokenize(reply.text)[:6]
    return any(token in _ACCEPT.get(language, ()) for token in opening) and not _declined(reply, language)


def _dated(*texts: str) -> bool:
    return any(find_dates(text) or _TIME.search(text) for text in texts)


def _late(conversation: Conversation, utterance: Utterance) -> bool:
    return utterance.start >= LATE_SHARE * conversation.duration_s


def _vague(conversation: Conversation, reps: Sequence[int], examples: ItemExamples) -> tuple[Evidence, ...]:
    """The rep's vague call-back ("если что, звоните"), when one comes as close as a proposal to a negative example."""
    near_misses = examples.model_copy(update={"positive": examples.negative, "negative": []})
    if not near_misses.positive:
        return ()
    language = language_of(conversation)
    candidate = best_candidate(conversation.utterances, reps, near_misses, language)
    if candidate is None or candidate.score < examples.yes_at:
        return ()
    return (utterance_evidence(conversation.utterances[candidate.index], candidate.span),)


def read_next_step(conversation: Conversation, examples: ItemExamples, after: float | None = None) -> NextStep:
    """How the call's next step came out; see the module's docstring."""
    language = language_of(conversation)
    utterances = conversation.utterances
    reps = [i for i in speaker_indexes(conversation, Role.rep, after) if _late(conversation, utterances[i])]
    proposals = [
        i
        for i in reps
        if (candidate := best_candidate(utterances, [i], examples, language)) and candidate.score >= examples.yes_at
    ]
    refused = undated = None
    for index in reversed(proposals):
        reply = _next_index(utterances, index, Role.customer)
        if reply is None:
            continue
        confirm = _next_index(utterances, reply, Role.rep)
        texts = [utterances[i].text for i in (index, reply, confirm) if i is not None]
        said: tuple[Evidence, ...] = (utterance_evidence(utterances[index]), utterance_evidence(utterances[reply]))
        if _accepted(utterances[reply], language):
            if _dated(*texts):
                return NextStep(Outcome.agreed_dated, said, "the customer accepted a next step with a date or time")
            undated = undated or said
        refused = refused or said
    if undated is not None:
        return NextStep(Outcome.agreed_undated, undated, "the customer accepted a next step, but no date or time")
    if refused is not None:
        return NextStep(Outcome.declined, refused, "the proposed next step was declined or left vague")
    candidate = best_candidate(utterances, reps, examples, language)
    looked = sum(len(utterances[i].words) for i in reps) >= CLOSING_MIN_WORDS
    if candidate is not None and candidate.score >= examples.no_below:
        said = (utterance_evidence(utterances[candidate.index], candidate.span),)
        return NextStep(Outcome.unclear, said, f"maybe a next step: closeness {candidate.score:.2f}")
    if looked:
        vague = _vague(conversation, reps, examples)
        note = "only a vague call-back" if vague else "no next step was proposed in the last part of the call"
        return NextStep(Outcome.none, vague, note)
    return NextStep(Outcome.unclear, (), "the end of the call is not heard")
