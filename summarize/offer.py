"""Whether the rep made a concrete offer: a price of their own, said as a statement.

An offer names what the customer would pay, so it is read from the rep's money amounts (`words.money.find_money`:
totals, unit prices, "от … в месяц", "полтора миллиона"), not from offer words: on the dev part of the blind set
every call labelled with an offer whose price was spoken as a number had one, and of the calls labelled without
an offer only one had a rep amount — the customer's own figure repeated back ("вы платите «Учёт-Центру»
восемнадцать тысяч в месяц"). So an amount does not count
- inside a question (the rep asking about the customer's money),
- negated ("не пятьдесят тысяч"),
- or within `OWNER_WINDOW` words after the customer's own person ("вы", "ваш", a verb in the second person such
  as "платите"): that is what the customer pays or has, said back to them.
Without such an amount the item falls back to the examples (`summarize.meaning.decide_by_examples`): an offer of a
trial or a proposal document is said in words, and 'no' needs the rep's talk looked at with nothing close said.
"""

import re
from functools import lru_cache

import pymorphy3

from models import Answer, Conversation, Role, Utterance
from summarize.meaning import MeaningVerdict, utterance_evidence
from summarize.text import tokenize
from words.money import find_money

OWNER_WINDOW = 4
_SENTENCE = re.compile(r"[^.!?…]+[.!?…]?")
_SECOND_PERSON = {
    "ru": frozenset({"вы", "вам", "вас", "ваш", "ваша", "ваше", "ваши", "вашего", "вашей", "вашу", "вашим", "ваших"}),
    "en": frozenset({"you", "your", "yours"}),
}


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=20_000)
def _second_person_verb(token: str) -> bool:
    parse = _morph().parse(token)[0]
    return "VERB" in parse.tag and "2per" in parse.tag and "indc" in parse.tag


def _customers_own(before: str, language: str) -> bool:
    """Whether the words just before an amount put it on the customer's side ("вы платите", "ваш бюджет")."""
    words = tokenize(before)[-OWNER_WINDOW:]
    own = _SECOND_PERSON.get(language, frozenset())
    return any(w in own or (language == "ru" and _second_person_verb(w)) for w in words)


def _priced(utterance: Utterance, language: str) -> bool:
    for match in _SENTENCE.finditer(utterance.text):
        sentence = match.group(0)
        if sentence.rstrip().endswith("?"):
            continue
        for mention in find_money(sentence):
            clause_start = max(sentence.rfind(mark, 0, mention.start) for mark in (",", ":", ";", "—"))
            before = sentence[max(clause_start + 1, 0) : mention.start]
            if not mention.negated and not _customers_own(before, language):
                return True
    return False


def rep_price(conversation: Conversation, language: str) -> MeaningVerdict | None:
    """'yes' with the rep's first priced statement as evidence; None when the rep named no price of their own."""
    for utterance in conversation.utterances:
        if utterance.role == Role.rep and _priced(utterance, language):
            return MeaningVerdict(Answer.yes, (utterance_evidence(utterance),), "the rep named a price of their own")
    return None
