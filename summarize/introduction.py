"""Whether the rep said their own name and their company in their first utterances, in any order.

Read in the rep's first `OPENING_UTTERANCES` utterances:
- the rep's own name: a first name (Russian: a word pymorphy3 tags `Name`; English: any word) right after a
  self-introduction cue ("это", "меня зовут", "я", "с вами" / "this is", "it's", "my name is", "I'm"), or right
  before "слушаю" / "speaking" / "here"; in an inbound opening that starts with the company ("Мебель Мастер,
  добрый день! Анастасия, слушаю вас", "РемонтПро, добрый день, Ильдар"), any first name not followed by a
  patronymic. A name with a patronymic ("Андрей Николаевич") is the customer's.
- the company: an organisation word ("компания", "агентство", "школа", "банк"...), a name in «quotes», "из" /
  "from" / "with" / "at" followed by a name, "thanks for calling X", or a word no dictionary knows (brand names
  such as "стройресурс", "лабмед"); in the rep's first utterance, any word before its greeting that is not a
  name or "алло" ("Мебель Мастер, добрый день", "PeopleFlow, this is Priya").
'no' when the rep said at least `MIN_OPENING_WORDS` words there and one of the two is missing.
"""

import re
from functools import lru_cache
from itertools import pairwise

import pymorphy3

from models import Answer, Conversation, Role, Utterance
from summarize.meaning import MeaningVerdict, language_of, utterance_evidence
from summarize.text import tokenize

OPENING_UTTERANCES = 3
MIN_OPENING_WORDS = 4
_SELF_CUES = {
    "ru": (("это",), ("зовут",), ("я",), ("с", "вами"), ("имя",), ("беспокоит",)),
    "en": (("this", "is"), ("it's",), ("name", "is"), ("i'm",), ("name's",), ("i", "am")),
}
_AFTER_NAME = {"ru": {"слушаю"}, "en": {"speaking", "here"}}
_ORG_WORDS_RU = {
    "компания", "компании", "фирма", "агентство", "школа", "школы", "банк", "клуб", "центр", "салон", "студия",
    "магазин", "сервис", "отдел", "группа", "завод", "клиника", "страховая", "автоцентр",
}  # fmt: skip
_ORG_PREPOSITIONS = {"ru": {"из"}, "en": {"from", "with", "at"}}
_EN_NOT_NAMES = {
    "calling", "just", "a", "the", "about", "following", "reaching", "not", "so", "glad", "sorry", "good", "great",
    "fine", "here", "with", "from", "on", "in", "really", "looking", "sure", "happy", "going", "trying",
}  # fmt: skip
_GREETINGS = {
    "good", "morning", "afternoon", "evening", "hi", "hello", "hey", "thanks", "thank", "you", "for", "calling",
    "welcome", "to", "yes", "yeah", "oh", "uh", "um",
}  # fmt: skip
_GREETING_STARTS = {
    "ru": {"добрый", "доброе", "здравствуйте", "приветствую", "слушаю"},
    "en": {"good", "hello", "hi", "hey", "thanks", "thank", "this"},
}
_NOT_COMPANY = {"алло", "але", "да", "hello", "yes", "yeah", "oh", "well"}
_PATRONYMIC = re.compile(r"(?:вич|вна|ична|ичн\w)$")


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=20_000)
def _first_name(token: str, language: str) -> bool:
    if language != "ru":
        return token.isalpha() and token not in _EN_NOT_NAMES and len(token) >= 2
    morph = _morph()
    return len(token) >= 3 and morph.word_is_known(token) and any("Name" in p.tag for p in morph.parse(token))


@lru_cache(maxsize=20_000)
def _unknown_word(token: str) -> bool:
    return (
        len(token) >= 4 and token.isalpha() and bool(re.search(r"[а-я]", token)) and not _morph().word_is_known(token)
    )


def _cue_before(tokens: list[str], index: int, language: str) -> bool:
    return any(tuple(tokens[max(index - len(cue), 0) : index]) == cue for cue in _SELF_CUES.get(language, ()))


def _company_at_start(tokens: list[str], language: str) -> bool:
    if language == "ru":
        return bool(tokens) and (tokens[0] in _ORG_WORDS_RU or _unknown_word(tokens[0]))
    return bool(tokens) and tokens[0] not in _GREETINGS and tokens[0] not in ("this", "it's", "is")


def _own_name(text: str, language: str, first: bool) -> bool:
    tokens = tokenize(text)
    bare = first and _company_at_start(tokens, language)
    for index, token in enumerate(tokens):
        if not _first_name(token, language):
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if _cue_before(tokens, index, language) or following in _AFTER_NAME.get(language, set()):
            return True
        if bare and language == "ru" and not _PATRONYMIC.search(following):
            return True
    return False


def _named_before_greeting(tokens: list[str], language: str) -> bool:
    """An opening that names something before its greeting ("Мебель Мастер, добрый день"): an inbound company."""
    starts = _GREETING_STARTS.get(language, set())
    first = next((index for index, token in enumerate(tokens) if token in starts), 0)
    return any(
        len(token) >= 3 and token not in _NOT_COMPANY and not _first_name(token, language) for token in tokens[:first]
    )


def _company(text: str, language: str, first: bool) -> bool:
    raw = text.lower()
    tokens = tokenize(text)
    if first and _named_before_greeting(tokens, language):
        return True
    if "«" in raw or '"' in raw:
        return True
    if any(a in _ORG_PREPOSITIONS.get(language, set()) and len(b) >= 3 for a, b in pairwise(tokens)):
        return True
    if language == "ru":
        return any(token in _ORG_WORDS_RU or _unknown_word(token) for token in tokens)
    if first and "this" in tokens and any(token not in _GREETINGS for token in tokens[: tokens.index("this")]):
        return True
    return ("calling" in tokens and "for" in tokens) or "welcome" in tokens


def introduction(conversation: Conversation) -> MeaningVerdict:
    """The rep's name and company in their first utterances; see the module's docstring."""
    language = language_of(conversation)
    opening: list[Utterance] = [u for u in conversation.utterances if u.role == Role.rep][:OPENING_UTTERANCES]
    named = [u for n, u in enumerate(opening) if _own_name(u.text, language, n == 0)]
    company = [u for n, u in enumerate(opening) if _company(u.text, language, n == 0)]
    if named and company:
        said = tuple(utterance_evidence(u) for u in ([named[0]] if named[0] is company[0] else [named[0], company[0]]))
        return MeaningVerdict(Answer.yes, said, "the rep said their name and company in their first words")
    if sum(len(u.words) for u in opening) >= MIN_OPENING_WORDS:
        missing = "name" if not named else "company"
        return MeaningVerdict(Answer.no, (), f"no {missing} in the rep's first {len(opening)} utterance(s)")
    return MeaningVerdict(Answer.not_determined, (), "the rep's opening is too short to read")
