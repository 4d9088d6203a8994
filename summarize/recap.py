"""Whether the rep summed the call up: a late rep turn that says it is a summary and repeats what was said.

A recap is read from two signs together, in a rep utterance from `LATE_SHARE` of the call on:
- a summing-up word, by lemma: a strong one ("итог", "подытожить", "итак", "итого", "коротко", "повторить",
  "зафиксировать", "договорились") or the weak "значит", which also opens ordinary sentences;
- the content words it repeats from earlier in the call (either side, in any form): at least `STRONG_REPEATS`
  with a strong word, `WEAK_REPEATS` with a weak one. A recap restates the need, the amounts and the agreed step,
  so it is made of words already said; a summing-up word before something new ("итак, смотрите, у нас есть…")
  repeats little.
On the dev part of the blind set, every call labelled with a summary that had such a turn was found this way, and
no call labelled without one. Where no turn has a summing-up word with repeats, the item falls back to the
examples (`summarize.meaning.decide_by_examples`).
"""

from models import Answer, Conversation, Role
from summarize.meaning import MeaningVerdict, utterance_evidence
from summarize.meaning_model import words_of
from summarize.text import normalize_token, tokenize

LATE_SHARE = 0.5
STRONG_REPEATS = 5
WEAK_REPEATS = 10
_STRONG = {
    "ru": frozenset(
        {"итог", "подытожить", "подвести", "резюмировать", "итак", "итого", "коротко", "повторить",
         "зафиксировать", "фиксировать", "договориться"}
    ),
}  # fmt: skip
_WEAK = {"ru": frozenset({"значит"})}


def summing_up(text: str, language: str) -> bool:
    """Whether an utterance has a strong summing-up word ("итак", "подытожу"): it restates, it argues nothing."""
    return bool({normalize_token(token, language) for token in tokenize(text)} & _STRONG.get(language, frozenset()))


def rep_recap(conversation: Conversation, language: str) -> MeaningVerdict | None:
    """'yes' with the latest recap turn as evidence; None when no late rep turn reads as one."""
    strong, weak = _STRONG.get(language), _WEAK.get(language, frozenset())
    if strong is None:
        return None
    utterances = conversation.utterances
    said: set[str] = set()
    found = None
    for index, utterance in enumerate(utterances):
        own = words_of(utterance.text, language).lemmas
        if utterance.role == Role.rep and utterance.start >= LATE_SHARE * conversation.duration_s:
            markers = {normalize_token(token, language) for token in tokenize(utterance.text)}
            repeats = sum(lemma in said for lemma in own)
            if (markers & strong and repeats >= STRONG_REPEATS) or (markers & weak and repeats >= WEAK_REPEATS):
                found = index
        said.update(own)
    if found is None:
        return None
    note = "the rep summed up what was said and agreed"
    return MeaningVerdict(Answer.yes, (utterance_evidence(utterances[found]),), note)
