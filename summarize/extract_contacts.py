"""Phone numbers, e-mail addresses, people's names and account identifiers said on a call.

Phones are found by `phonenumbers` (valid numbers, in Russian and international formats; a number without a
country code is read in the region of the call's language) and kept in E.164 form ("+79161234567"). A number that
is possible but not valid in its region counts only when written in phone grouping ("(977) 625-2661") or spoken
digit by digit ("seven one five one three nine ...", "восемь девять один шесть ...") or in groups ("восемь
девятьсот двадцать шесть триста десять сорок пять ноль семь"), as callers dictate. Digits right
after words that introduce an order, invoice, contract, account or tax number are not a phone, even when they would
dial. E-mail addresses are kept lower-cased.

Names are the one or two words right after a self-introduction ("my name is", "this is", "меня зовут"), title-cased;
fillers ("uh", "also", "ну") are skipped, an ASR repetition ("robert robert jones") is said once, and a function
word ends the name; a first name given alone is completed by a surname said right after it ("my name is michael but
last name smith", "меня зовут Андрей, фамилия Петров"). Identifiers are tokens of at least four characters with a
digit ("cminh730", "3348917502"), not part of an e-mail; a token after another field's label ("Username: ...", read
for an order id) is not one.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers

from words.numbers import number_at, starts_number, tokens

_REGIONS = {"ru": "RU", "en": "US"}
_NOT_A_PHONE = re.compile(
    r"(?:order|invoice|account|contract|ticket|case|reference|ref|inn|"
    r"заказ\w*|сч[её]т\w*|договор\w*|инн|артикул\w*|накладн\w*|заявк\w*)"
    r"(?:\s+(?:number|no\.?|#|id|номер|n|№))?\s*[:#№]?\s*$",
    re.IGNORECASE,
)
_GROUPED = re.compile(r"^\+?[\d\s]*\(\d{3}\)\s*\d{3}[-\s]\d{2}-?\d{2}$|^\d{3}-\d{3}-\d{4}$")
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
    "ноль": "0", "нуль": "0", "один": "1", "одна": "1", "два": "2", "две": "2", "три": "3", "четыре": "4",
    "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9",
}  # fmt: skip
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zа-я]{2,}", re.IGNORECASE)


@dataclass(frozen=True)
class ContactMention:
    start: int
    end: int
    value: str


def find_phones(text: str, language: str) -> list[ContactMention]:
    region = _REGIONS.get(language[:2], "RU")
    mentions = []
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        if _NOT_A_PHONE.search(text[: match.start]):
            continue
        if not phonenumbers.is_valid_number(match.number) and not _GROUPED.search(match.raw_string):
            continue
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        mentions.append(ContactMention(match.start, match.end, number))
    for start, end, digits in _spoken_digit_runs(text) + _spoken_number_groups(text):
        if _NOT_A_PHONE.search(text[:start]) or any(m.start < end and start < m.end for m in mentions):
            continue
        try:
            parsed = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            mentions.append(
                ContactMention(start, end, phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
            )
    return sorted(mentions, key=lambda m: m.start)


def _spoken_digit_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of at least seven digits said a word (or a short digit group) at a time: (start, end, digits)."""
    runs: list[tuple[int, int, str]] = []
    current: list[tuple[re.Match[str], str]] = []

    def close() -> None:
        digits = "".join(value for _, value in current)
        if len(digits) >= 7 and any(not match.group().isdigit() for match, _ in current):
            runs.append((current[0][0].start(), current[-1][0].end(), digits))

    for token in re.finditer(r"[^\W_]+", text):
        word = token.group().casefold()
        value = _DIGIT_WORDS.get(word) or (word if word.isdigit() and len(word) <= 4 else None)
        joined = bool(current) and not text[current[-1][0].end() : token.start()].strip(" ,.-")
        if value is None or (current and not joined):
            close()
            current = []
        if value is not None:
            current.append((token, value))
    close()
    return runs


def _spoken_number_groups(text: str) -> list[tuple[int, int, str]]:
    """Runs of numbers said in groups, as Russian callers dictate a phone ("восемь девятьсот двадцать шесть триста
    десять сорок пять ноль семь" is 8 926 310 45 07): at least four numbers in a row, ten or eleven digits, each
    number's digits as said ("ноль семь" is 07)."""
    items = tokens(text)
    runs: list[tuple[int, int, str]] = []
    i = 0
    while i < len(items):
        groups, j = [], i
        while j < len(items) and starts_number(items, j) and (parsed := number_at(items, j)) and not parsed[2]:
            groups.append(str(int(parsed[0])))
            j = parsed[1]
        digits = "".join(groups)
        if len(groups) >= 4 and 10 <= len(digits) <= 11:
            runs.append((items[i].start, items[j - 1].end, digits))
        i = max(j, i + 1)
    return runs


def find_emails(text: str) -> list[ContactMention]:
    return [ContactMention(m.start(), m.end(), m.group().lower()) for m in _EMAIL.finditer(text)]


_NAME_INTROS: dict[str, tuple[tuple[str, float], ...]] = {
    "en": (("my name is", 0.9), ("my name's", 0.9), ("you're speaking with", 0.85), ("this is", 0.7)),
    "ru": (("меня зовут", 0.9), ("моё имя", 0.9), ("мое имя", 0.9), ("на связи", 0.7)),
}
_NAME_FILLERS = frozenset(["uh", "um", "er", "also", "ну", "а", "эм", "это"])
_NOT_A_NAME = frozenset({
    "and", "or", "but", "i", "i'm", "i'd", "how", "what", "calling", "from", "with", "the", "a", "an", "here",
    "speaking", "thank", "thanks", "please", "last", "name", "would", "need", "want", "at", "of", "on", "for", "to",
    "in", "is", "my", "your", "you", "can", "may", "hi", "hello", "yes", "no", "ok", "okay", "so", "just", "it",
    "that", "this", "bank", "today", "и", "я", "из", "компания", "компании", "компанию", "вам", "вас",
    "звоню", "мне", "у", "с", "по", "как", "хочу", "сейчас", "менеджер", "представитель", "фамилия", "surname",
    "family",
})  # fmt: skip
_SURNAME = re.compile(
    r"\s*,?\s*(?:(?:but|and|my|the|а|и|моя)\s+)*(?:last name|surname|family name|фамилия)(?:\s+is|'s)?\s*,?\s+",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)?")
_IDENTIFIER = re.compile(r"(?<![\w@.])(?=[\w-]*\d)[^\W_][\w-]{3,}(?![\w@]|\.\w)")
_LABEL = re.compile(r"([^\W\d_][^\W\d_ ]*(?: [^\W\d_]+){0,2})\s*[:#№]\s*$")


@dataclass(frozen=True)
class NameMention:
    start: int
    end: int
    value: str
    confidence: float


def find_names(text: str, language: str) -> list[NameMention]:
    """Names introduced in `text`, each with the confidence its introduction gives."""
    lowered = text.casefold()
    mentions = []
    for intro, confidence in _NAME_INTROS.get(language[:2], ()):
        for found in re.finditer(rf"(?<!\w){re.escape(intro)}(?!\w)", lowered):
            parts: list[str] = []
            end = found.end()
            for word in _NAME_WORD.finditer(text, found.end()):
                if text[end : word.start()].strip(" ,"):
                    break
                token = word.group().casefold()
                end = word.end()
                if token in _NAME_FILLERS:
                    if parts:
                        break
                    continue
                if token in _NOT_A_NAME or len(parts) == 2:
                    break
                if not parts or parts[-1].casefold() != token:
                    parts.append(word.group())
            if not parts:
                continue
            last = text.casefold().rfind(parts[-1].casefold(), found.end(), end)
            stop = last + len(parts[-1])
            surname = _surname_after(text, stop) if len(parts) == 1 else None
            if surname is not None:
                parts.append(surname.group())
                stop = surname.end()
            value = " ".join(part[:1].upper() + part[1:] for part in parts)
            mentions.append(NameMention(found.start(), stop, value, confidence))
    return mentions


def _surname_after(text: str, position: int) -> re.Match[str] | None:
    """The surname in "... but last name smith" right after a first name ending at `position`."""
    cue = _SURNAME.match(text, position)
    if cue is None:
        return None
    word = _NAME_WORD.match(text, cue.end())
    return word if word is not None and word.group().casefold() not in _NOT_A_NAME else None


_NAME_QUESTION = re.compile(r"\b(?:your (?:full )?name|who am i speaking|как вас зовут|ваше имя|представьтесь)", re.I)


def answered_name(question: str, answer: str) -> NameMention | None:
    """The whole `answer` as a name when it is one to three name words replying to a request for a name."""
    if not _NAME_QUESTION.search(question):
        return None
    words = answer.strip(" .!").split()
    if not 1 <= len(words) <= 3 or not all(_NAME_WORD.fullmatch(w) and w.casefold() not in _NOT_A_NAME for w in words):
        return None
    value = " ".join(w[:1].upper() + w[1:] for w in words)
    start = answer.find(words[0])
    return NameMention(start, answer.rfind(words[-1]) + len(words[-1]), value, 0.8)


def find_identifiers(text: str, own_labels: Sequence[str] = ()) -> list[ContactMention]:
    """Account, order or user identifiers in `text`; one after a label other than `own_labels` is left out."""
    labels = {label.casefold() for label in own_labels}
    mentions = []
    for match in _IDENTIFIER.finditer(text):
        label = _LABEL.search(text[: match.start()])
        if label and label.group(1).casefold() not in labels:
            continue
        if match.group().isdigit() and len(match.group()) < 5:
            continue
        mentions.append(ContactMention(match.start(), match.end(), match.group()))
    return mentions
