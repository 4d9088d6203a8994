"""E-mail addresses dictated in Russian words, as a recogniser prints them: "лена точка смирнова восемьдесят восемь
собака мейл точка ру" is lena.smirnova88@mail.ru.

"собака" is the "@". The domain is read forward from it: the mail services by their spoken names ("мейл",
"яндекс", "джимейл"), "точка" as ".", the zone ("ру", "ком"); a zone said without "точка" ("мейл ру") gets one,
and a service said without a zone gets its usual one. The mailbox is read backward from it, as long as the words
can be part of one: letters by their names ("ви", "эм", "о"), numbers (a number said in words is its digits,
"восемь один" is 81), "точка", "подчёркивание", "дефис", Latin words and first names or surnames (pymorphy3's
`Name` / `Surn`), transliterated ("ё" as "yo"), and any word joined to the mailbox by a "точка" ("агро точка колос").
A spelling note ("через о") is passed over. Any other word ("записывайте", "ну", "крылья") ends it, so a mailbox
mixed with other talk is not guessed at. An address dictated in Latin letters with a spoken "@" ("a.sergeeva собака
ventra-group.ru") is read as written.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3

from models import Role, Utterance
from words.numbers import number_at, starts_number, tokens

MAX_MAILBOX_WORDS = 6
_AT = "собака"
_JOINERS = {"точка": ".", "подчеркивание": "_", "подчёркивание": "_", "дефис": "-", "тире": "-"}
_SERVICES = {
    "мейл": "mail", "майл": "mail", "яндекс": "yandex", "джимейл": "gmail", "гмейл": "gmail", "гмайл": "gmail",
    "рамблер": "rambler", "инбокс": "inbox", "бк": "bk", "лист": "list", "аутлук": "outlook", "хотмейл": "hotmail",
    "mail": "mail", "yandex": "yandex", "gmail": "gmail", "rambler": "rambler", "inbox": "inbox", "bk": "bk",
    "list": "list", "outlook": "outlook", "hotmail": "hotmail",
}  # fmt: skip
_DEFAULT_ZONE = {"gmail": "com", "outlook": "com", "hotmail": "com"}
_ZONES = {"ру": "ru", "ком": "com", "нет": "net", "орг": "org", "рф": "рф", "су": "su", "инфо": "info"}
_LETTERS = {
    "а": "a", "бэ": "b", "би": "b", "вэ": "v", "ви": "v", "гэ": "g", "джи": "g", "дэ": "d", "ди": "d", "е": "e",
    "и": "i", "эф": "f", "эйч": "h", "ай": "i", "джей": "j", "кей": "k", "ка": "k", "эл": "l", "эль": "l",
    "эм": "m", "эн": "n", "о": "o", "пи": "p", "пэ": "p", "кью": "q", "эр": "r", "эс": "s", "ти": "t", "тэ": "t",
    "ю": "u", "икс": "x", "экс": "x", "игрек": "y", "уай": "y", "зэт": "z", "зед": "z",
}  # fmt: skip
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
})  # fmt: skip
# Mailboxes spell "ё" as "yo" ("воробьёва" is vorobyova), after a soft sign too.
_YO = str.maketrans({"ё": "yo"})
_LATIN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class SpokenEmail:
    start: int
    end: int
    value: str


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=20_000)
def _person_word(word: str) -> bool:
    return any({"Name", "Surn"} & set(parse.tag.grammemes) for parse in _morph().parse(word)[:2])


def _mailbox_part(word: str) -> str | None:
    """What one dictated word adds to the mailbox, or None when it cannot be part of one."""
    if word in _JOINERS:
        return _JOINERS[word]
    if word in _LETTERS:
        return _LETTERS[word]
    if _LATIN.fullmatch(word):
        return word
    if _person_word(word):
        return _transliterated(word)
    return None


def _transliterated(word: str) -> str:
    return word.translate(_YO).translate(_TRANSLIT)


def _joined_word(items: list, i: int, parts: list[str]) -> str | None:
    """A word that is a mailbox part only by where it stands: before a "точка" of the mailbox ("агро точка колос")
    or, as its last word, after one ("колос" in "агро точка колос собака")."""
    word = items[i].text.lower()
    if not re.fullmatch(r"[a-zа-яё]{2,}", word):
        return None
    before_joiner = bool(parts) and parts[0] in _JOINERS.values()
    after_joiner = not parts and i > 0 and items[i - 1].norm in _JOINERS
    return _transliterated(word) if before_joiner or after_joiner else None


def _digits(items: list, start: int, end: int) -> str | None:
    """The digits of the numbers said from `start` up to exactly `end`, each number as said ("восемь один" 81,
    "восемьдесят один" 81); None when the words there are not numbers alone."""
    digits, j = "", start
    while j < end:
        parsed = number_at(items, j) if starts_number(items, j) else None
        if parsed is None or parsed[1] > end:
            return None
        digits, j = digits + str(int(parsed[0])), parsed[1]
    return digits or None


def _mailbox(items: list, at: int) -> tuple[str, int] | None:
    """The mailbox said right before `items[at]` ("собака"), and the index of its first token."""
    parts: list[str] = []
    i, first = at - 1, at
    while i >= 0 and len(parts) < MAX_MAILBOX_WORDS:
        start = i
        while start > 0 and starts_number(items, start - 1):
            start -= 1
        while start <= i and (digits := _digits(items, start, i + 1)) is None:
            start += 1
        if start <= i and digits:
            parts.insert(0, digits)
            first, i = start, start - 1
            continue
        if i > 0 and items[i - 1].norm == "через":
            i -= 2  # a spelling note on the word before ("смирнова через и")
            continue
        part = _mailbox_part(items[i].text.lower()) or _joined_word(items, i, parts)
        if part is None:
            break
        parts.insert(0, part)
        first, i = i, i - 1
    mailbox = "".join(parts).strip("._-")
    # One letter is a word cut off ("...в о р о б ы о в а собака"), not a mailbox.
    return (mailbox, first) if len(re.findall(r"[a-z]", mailbox)) >= 2 else None


def _domain(items: list, at: int) -> tuple[str, int] | None:
    """The domain said right after `items[at]`, and the index after its last token."""
    j = at + 1
    if j >= len(items) or (service := _SERVICES.get(items[j].norm)) is None:
        return None
    j += 1
    if j < len(items) and items[j].norm == "точка":
        j += 1
    if j < len(items) and (zone := _ZONES.get(items[j].norm)):
        return f"{service}.{zone}", j + 1
    if service in _DEFAULT_ZONE:
        return f"{service}.{_DEFAULT_ZONE[service]}", at + 2
    return None


_LATIN_AT = re.compile(
    r"(?<![\w.@-])([a-z0-9][a-z0-9._-]*)\s+(?:собака|at)\s+([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?![\w@-])",
    re.IGNORECASE,
)


def find_spoken_emails(text: str) -> list[SpokenEmail]:
    """Every address dictated in words in `text`; see the module's docstring."""
    items = tokens(text)
    found = [
        SpokenEmail(m.start(), m.end(), f"{m.group(1)}@{m.group(2)}".lower().strip("."))
        for m in _LATIN_AT.finditer(text)
    ]
    for at, item in enumerate(items):
        if item.norm != _AT:
            continue
        mailbox, domain = _mailbox(items, at), _domain(items, at)
        if mailbox is None or domain is None:
            continue
        found.append(SpokenEmail(items[mailbox[1]].start, items[domain[1] - 1].end, f"{mailbox[0]}@{domain[0]}"))
    return found


def read_back_emails(utterances: Sequence[Utterance]) -> list[tuple[int, SpokenEmail]]:
    """Addresses the rep reads back in the turn right after the customer dictated one ("собака" said) that cannot
    be read whole ("ви точка крылов ну крылов как крылья собака ..." — "ви точка крылов собака яндекс точка ру"),
    with the index of the rep's utterance."""
    found = []
    for index, utterance in enumerate(utterances[:-1]):
        said = utterance.text.lower()
        if utterance.role != Role.customer or "собак" not in said or "@" in said or find_spoken_emails(said):
            continue
        if utterances[index + 1].role == Role.rep:
            found += [(index + 1, mention) for mention in find_spoken_emails(utterances[index + 1].text)]
    return found
