"""Products the customer showed interest in, found by the team's catalogue names in any inflection.

A team's catalogue lists product names ("доставка манипулятором", "ДМС для сотрудников", "корпоративный чек-ап"),
rarely every way a customer says them. A product is heard where its head word is said, compared by lemma
("газобетона" is "газобетон", "чекап" is "чек-ап") or, for long words, by a shared six-letter beginning
("страховку" for "страхование", "экскурсии" for "экскурсионный"), unless the word said is a verb. The head is the
product name's first noun ("связь" in "мобильная связь в пакете"); where two products of the catalogue share it
("пляжный тур", "экскурсионный тур"), one of the product's own other words must be said near it too.

Interest, not a mention:
- the customer naming a product, not negated and not in a clause that declines it ("панели на крыше мне не
  интересно", "а сканеров пока хватает"), is interest: `CUSTOMER_CONFIDENCE` by its whole name, `REP_CONFIDENCE`
  by its head word alone ("ипотеку" for "ипотека на новостройку" may be the customer's own loan);
- a product only the rep named counts where the customer's answer takes it up — a question or an agreement — and
  not where it declines or picks another product of the catalogue ("Нам нужна интеграция с CRM" after a list):
  `REP_CONFIDENCE`, below 0.8, since a rep listing the range is a pitch and the customer's "да" may answer
  something else in the same turn.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from models import Role, Utterance
from summarize.phrases import NEGATION_WINDOW, negator_words
from summarize.text import normalize_token
from words.lemmas import is_known, is_noun

CUSTOMER_CONFIDENCE = 0.85
REP_CONFIDENCE = 0.7
STEM_LENGTH = 6
NEAR = 4

_VERB_ENDINGS = ("ть", "ться", "чь", "чься", "ти")
_WORD = re.compile(r"\w+(?:-\w+)*")
# Words a product name is built with that never tell one product from another.
_FUNCTION_WORDS = frozenset(
    {"для", "на", "в", "во", "под", "к", "ко", "по", "с", "со", "и", "или", "из", "за", "от", "до", "при", "без", "о",
     "об", "а", "the", "for", "of", "and", "or", "with", "in", "on", "to", "a", "an", "by"}
)  # fmt: skip
_REFUSAL = re.compile(
    r"\b(?:не (?:интерес|нуж|надо|актуальн|буд|подход|хоч|потян|рассматрива)|нам (?:это )?не|откаж|хватает|"
    r"not interested|no need|don't need|do not need|not for us)",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[^,.;!?…]+?(?=[,.;!?…]|\s+(?:а|но|but)\s+|$)", re.IGNORECASE)
_TAKEN_UP = re.compile(
    r"\?|\b(?:да|давайте|интересн|хорош|отлично|можно|подходит|нужн|надо|сколько|какой|какая|какие|как|а если|"
    r"yes|sure|sounds good|interested|how much|what about|great|ok|okay)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProductMention:
    value: str
    utterance: int
    start: int
    end: int
    confidence: float


@dataclass(frozen=True)
class _Word:
    key: str
    start: int
    end: int


@dataclass(frozen=True)
class _Name:
    value: str
    head: str
    others: tuple[str, ...]


@lru_cache(maxsize=50_000)
def _key(word: str, language: str) -> str:
    return normalize_token(word.lower().replace("ё", "е"), language)


def _same(said: str, wanted: str) -> bool:
    """Whether a word said is a product's word: the same lemma, or for long words the same beginning, unless the
    word said is a verb ("подготовился" is not "подготовка", "обслуживают" not "обслуживание")."""
    if said == wanted:
        return True
    return (
        min(len(said), len(wanted)) > STEM_LENGTH
        and said[:STEM_LENGTH] == wanted[:STEM_LENGTH]
        and not said.endswith(_VERB_ENDINGS)
    )


def _parts(token: str) -> list[str]:
    """A hyphenated word as its parts where they are words ("шкаф-купе", "онлайн-курс"), else joined ("чек-ап",
    "трейд-ин", "где-то")."""
    parts = token.split("-")
    return parts if len(parts) > 1 and min(len(part) for part in parts) > 3 else [token.replace("-", "")]


def _words(text: str, language: str) -> list[_Word]:
    """Every word with its lemma; a hyphenated one also joined ("шкаф-купе": "шкаф", "купе", "шкафкупе").
    A word of one or two letters is kept as written: "ТО" (a service) is not "то"."""
    words = []
    for match in _WORD.finditer(text):
        token = match.group()
        if len(token) <= 2:
            words.append(_Word(token, match.start(), match.end()))
            continue
        forms = {token.replace("-", ""), *_parts(token)}
        words.extend(_Word(_key(form, language), match.start(), match.end()) for form in forms)
    return words


def _content(word: str) -> bool:
    return not word.isdigit() and word not in _FUNCTION_WORDS


def _is_head(word: str, language: str) -> bool:
    """A noun, or a word the dictionary does not know (a brand, an abbreviation, a Latin word)."""
    if not language.startswith("ru") or not re.search(r"[а-яё]", word):
        return True
    return not is_known(word) or is_noun(word)


def _name(value: str, phrase: str, language: str) -> _Name | None:
    """A catalogue phrase's head word and its other content words; a hyphenated word whose parts are short
    ("чек-ап", "трейд-ин") is one word, one whose parts are words ("шкаф-купе", "онлайн-курс") its parts."""
    words = [part for token in _WORD.findall(phrase) for part in _parts(token)]
    content = [word for word in words if _content(word.lower())]
    if not content:
        return None
    head = next((word for word in content if _is_head(word.lower(), language)), content[0])

    def key(word: str) -> str:
        return word if len(word) <= 2 else _key(word, language)

    return _Name(value, key(head), tuple(key(word) for word in content if word != head))


def _names(catalogue: dict[str, list[str]], language: str) -> list[_Name]:
    return [
        name for value, phrases in catalogue.items() for phrase in phrases if (name := _name(value, phrase, language))
    ]


def _distinct(name: _Name, names: Sequence[_Name]) -> tuple[bool, set[str]]:
    """Whether the head alone tells the product, and else the product's words that tell it from the others."""
    rivals = [other for other in names if other.value != name.value and _same(other.head, name.head)]
    if not rivals:
        return True, set()
    theirs = {word for other in rivals for word in other.others}
    return False, {word for word in name.others if not any(_same(word, other) for other in theirs)}


def _negated(words: Sequence[_Word], index: int, language: str) -> bool:
    """A negator among the `NEGATION_WINDOW` words before, as `summarize.phrases` reads negation."""
    negators = negator_words(language)
    return any(word.key.lower() in negators for word in words[max(index - NEGATION_WINDOW, 0) : index])


def _heard(text: str, names: Sequence[_Name], language: str) -> list[tuple[_Name, int, int, bool]]:
    """The products said in `text`, not negated: where each is said, and whether by its whole name."""
    words = _words(text, language)
    found = []
    for name in names:
        head_alone, telling = _distinct(name, names)
        for index, word in enumerate(words):
            if not _same(word.key, name.head) or _negated(words, index, language):
                continue
            near = words[max(index - NEAR, 0) : index + NEAR + 1]
            if head_alone or any(_same(other.key, wanted) for other in near for wanted in telling):
                whole = all(any(_same(other.key, wanted) for other in near) for wanted in name.others)
                found.append((name, word.start, word.end, whole))
                break
    return found


def _declined(text: str, at: int) -> bool:
    """Whether the clause saying a product at `at` declines it ("а сканеров пока хватает", "мне это не интересно")."""
    clause = next((m.group() for m in _CLAUSE.finditer(text) if m.start() <= at < m.end()), text)
    return _REFUSAL.search(clause) is not None


def _answer(utterances: Sequence[Utterance], asked: int) -> str:
    """The customer's words right after utterance `asked` (their next turn)."""
    said: list[str] = []
    for utterance in utterances[asked + 1 :]:
        if utterance.role == Role.rep:
            if said:
                break
            continue
        said.append(utterance.text)
    return " ".join(said)


def find_products(
    utterances: Sequence[Utterance], catalogue: dict[str, list[str]], language: str
) -> list[ProductMention]:
    """Mentions of the catalogue's products (value → names and synonyms) that show the customer's interest."""
    names = _names(catalogue, language)
    if not names:
        return []
    mentions: list[ProductMention] = []
    for index, utterance in enumerate(utterances):
        heard = _heard(utterance.text, names, language)
        if not heard:
            continue
        if utterance.role == Role.rep:
            answer = _answer(utterances, index)
            if not answer or _REFUSAL.search(answer) or not _TAKEN_UP.search(answer) or _heard(answer, names, language):
                continue
        else:
            heard = [found for found in heard if not _declined(utterance.text, found[1])]
        by_customer = utterance.role != Role.rep
        mentions.extend(
            ProductMention(
                name.value, index, start, end, CUSTOMER_CONFIDENCE if by_customer and whole else REP_CONFIDENCE
            )
            for name, start, end, whole in heard
        )
    return mentions
