"""Digit groups in text as speech recognition writes them: in digits ("8 916 123-45-67") or in words
("восемь девятьсот шестнадцать сто двадцать три", "four one five five five five").

A run of number words becomes groups the way a number is read aloud: "девятьсот шестнадцать" is one group (916),
"ноль шесть" two ("0", "6"). Scale words ("тысяч", "million") end a run: they name amounts, not identifiers.
"""

import re
from dataclasses import dataclass

_UNITS = {
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100, "двести": 200, "триста": 300,
    "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_HUNDRED = "hundred"
PLUS_WORDS = frozenset({"плюс", "plus"})

# A compound number (date, time, decimal, version, "25,000") is one token that never joins a run.
_TOKEN = re.compile(r"\d+(?:[.,:/]\d+)+|\d+|[^\W\d_]+|\S")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    digits: str | None = None
    spoken: bool = False
    compound: bool = False


def _open_places(value: int) -> int:
    """How many trailing digits a following number word may still fill: 900 → 2, 20 → 1, 16 → 0."""
    if value == 0 or 10 <= value % 100 < 20:
        return 0
    places = 0
    while value % 10 == 0:
        value //= 10
        places += 1
    return places


def tokens(text: str) -> list[Token]:
    """Word and sign tokens, with runs of number words folded into the digit groups they are read as."""
    out: list[Token] = []
    value: int | None = None
    for match in _TOKEN.finditer(text):
        raw = match.group()
        word = raw.lower().replace("ё", "е")
        if raw.isdigit():
            glued = _glued_to_letters(text, match.start(), match.end())
            out.append(Token(match.start(), match.end(), raw, None if glued else raw))
            value = None
            continue
        if raw[0].isdigit():
            out.append(Token(match.start(), match.end(), raw, compound=True))
            value = None
            continue
        previous = out[-1] if out and out[-1].spoken else None  # a spoken number this word may go on
        if word == _HUNDRED and previous is not None and value is not None and 1 <= value <= 9:
            value *= 100
            out[-1] = Token(previous.start, match.end(), text[previous.start : match.end()], str(value), spoken=True)
            continue
        number = _UNITS.get(word)
        if number is None:
            out.append(Token(match.start(), match.end(), raw))
            value = None
            continue
        if previous is not None and value is not None and number and len(str(number)) <= _open_places(value):
            value += number
            out[-1] = Token(previous.start, match.end(), text[previous.start : match.end()], str(value), spoken=True)
            continue
        value = number
        out.append(Token(match.start(), match.end(), raw, str(number), spoken=True))
    return out


def _glued_to_letters(text: str, start: int, end: int) -> bool:
    """Digits inside a code like 'A123' or 'ИНН7707' are part of that word, not a number said on its own."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return before.isalpha() or after.isalpha() or before == "_" or after == "_"
