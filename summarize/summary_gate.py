"""The gate an LLM's free-text summary passes before it is shown; otherwise the call card's text stands.

The rules, checked in this order on everything the LLM wrote for the summary (text, key points, next step); the
first one failed is the reason kept in `Summary.llm_rejected_reason` and logged:
- too_short / too_long: the text has fewer than `MIN_WORDS` words ("1000 words" is what a small model writes when
  it cannot summarise) or more than `MAX_CHARS` characters all told;
- repetition: a loop — a phrase of 1 to `LOOP_WORDS` words said `LOOP_TIMES` times in a row ("1000 customers, 1000
  customers, 1000 customers"), or any `PHRASE_WORDS`-word phrase said `PHRASE_TIMES` times or more;
- language: fewer than `LANGUAGE_SHARE` of its letters are in the call's script (Cyrillic for Russian, Latin for
  English; other languages are not checked);
- number_not_in_call: a number it writes in digits, or in words from ten up, is not a number said on the call.
  Numbers are compared as values, written either way: "150 000", "150000", "150 тыс.", "сто пятьдесят тысяч" are
  one number (`words.numbers` reads them). Number words under ten are left out: "one of", "один из"
  are not facts;
- name_not_in_call: a word with a capital letter that does not open a sentence (a person, a company, a product, a
  weekday) is not a word of the call, compared case-blind and as lemmas ("Марку" meets "Марк");
- wrong_side: a sentence that names one side only (the customer or the rep) and has a number, where that side never
  said the number: "the customer offered 50 000" when only the rep said it. Utterances of unknown role count for
  either side. A sentence naming both sides is not judged: which number belongs to whom is not explainable there.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from models import Conversation, Role
from summarize.text import normalize, normalize_token, tokenize
from words.numbers import number_at, scale_first_at, starts_number
from words.numbers import tokens as number_tokens

MIN_WORDS = 5
MAX_CHARS = 1500
LOOP_WORDS = 4
LOOP_TIMES = 3
PHRASE_WORDS = 3
PHRASE_TIMES = 3
LANGUAGE_SHARE = 0.7
MIN_NUMBER_WORD = 10
SIDE_WORDS = {
    Role.customer: {
        "en": ["customer", "client", "caller", "prospect", "buyer"],
        "ru": ["клиент", "клиентка", "покупатель", "заказчик", "абонент", "звонящий"],
    },
    Role.rep: {
        "en": ["rep", "agent", "manager", "seller", "salesperson", "operator", "representative", "consultant"],
        "ru": ["менеджер", "оператор", "продавец", "сотрудник", "консультант", "специалист"],
    },
}
_SCRIPTS = {"ru": re.compile(r"[а-яё]", re.IGNORECASE), "en": re.compile(r"[a-z]", re.IGNORECASE)}
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+|\n")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;\n•*\"«(\[-])\s*$")


@dataclass(frozen=True)
class GateVerdict:
    """None for `rule` when the summary passed; else the rule it failed and what failed it."""

    rule: str | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.rule is None

    @property
    def reason(self) -> str | None:
        return f"{self.rule}: {self.detail}" if self.rule else None


def numbers_in(text: str, *, small_words: bool = True) -> list[float]:
    """The values of the numbers in `text`, digits and number words alike; with `small_words` False, number words
    under `MIN_NUMBER_WORD` are left out."""
    tokens = number_tokens(text)
    values: list[float] = []
    i = 0
    while i < len(tokens):
        parsed = number_at(tokens, i) if starts_number(tokens, i) else scale_first_at(tokens, i)
        if parsed is None:
            i += 1
            continue
        value, after, _scaled = parsed
        digits = any(token.text[0].isdigit() for token in tokens[i:after])
        if value and (digits or small_words or value >= MIN_NUMBER_WORD):
            values.append(round(value, 2))
        i = max(after, i + 1)
    return values


def _loop(words: list[str]) -> str | None:
    for size in range(1, LOOP_WORDS + 1):
        for start in range(len(words) - size * LOOP_TIMES + 1):
            phrase = words[start : start + size]
            if all(words[start + k * size : start + (k + 1) * size] == phrase for k in range(1, LOOP_TIMES)):
                return " ".join(phrase)
    counts: dict[tuple[str, ...], int] = {}
    for start in range(len(words) - PHRASE_WORDS + 1):
        gram = tuple(words[start : start + PHRASE_WORDS])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] >= PHRASE_TIMES:
            return " ".join(gram)
    return None


def _off_script(text: str, language: str) -> bool:
    script = _SCRIPTS.get(language)
    letters = _LETTER.findall(text)
    if script is None or not letters:
        return False
    return sum(bool(script.match(letter)) for letter in letters) / len(letters) < LANGUAGE_SHARE


def _names(text: str) -> Iterable[str]:
    for match in _WORD.finditer(text):
        word = match.group()
        if len(word) > 1 and any(c.isupper() for c in word) and not _SENTENCE_START.search(text[: match.start()]):
            yield word


def _side_named(sentence: str, language: str) -> Role | None:
    words = set(normalize(sentence, language))
    named = [
        role
        for role, by_language in SIDE_WORDS.items()
        if words & {normalize_token(word, language) for word in by_language.get(language, [])}
    ]
    return named[0] if len(named) == 1 else None


def check_summary(texts: Iterable[str], conversation: Conversation, language: str) -> GateVerdict:
    """Whether the LLM's summary texts (its text first, then key points and next step) may be shown for this call."""
    texts = [t.strip() for t in texts if t and t.strip()]
    whole = "\n".join(texts)
    if not texts or len(_WORD.findall(texts[0])) < MIN_WORDS:
        return GateVerdict("too_short", f"fewer than {MIN_WORDS} words")
    if len(whole) > MAX_CHARS:
        return GateVerdict("too_long", f"{len(whole)} characters, over {MAX_CHARS}")
    if (loop := _loop(tokenize(whole))) is not None:
        return GateVerdict("repetition", f"'{loop}' repeated")
    if _off_script(whole, language):
        return GateVerdict("language", f"not written in '{language}'")

    said: dict[Role, set[float]] = {role: set() for role in Role}
    for utterance in conversation.utterances:
        said[utterance.role].update(numbers_in(utterance.text))
    everyone = set().union(*said.values())
    for number in numbers_in(whole, small_words=False):
        if number not in everyone:
            return GateVerdict("number_not_in_call", f"{number:g}")

    call_words: set[str] = set()
    for utterance in conversation.utterances:
        call_words.update(tokenize(utterance.text))
        call_words.update(normalize(utterance.text, language))
    for name in _names(whole):
        lower = tokenize(name)[0]
        if lower not in call_words and normalize_token(lower, language) not in call_words:
            return GateVerdict("name_not_in_call", name)

    for sentence in _SENTENCE_END.split(whole):
        side = _side_named(sentence, language)
        if side is None:
            continue
        by_side = said[side] | said[Role.unknown]
        for number in numbers_in(sentence, small_words=False):
            if number not in by_side:
                return GateVerdict("wrong_side", f"{number:g} attributed to the {side.value}, who did not say it")
    return GateVerdict()
