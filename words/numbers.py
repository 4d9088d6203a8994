"""Numbers in what was said, English and Russian, in digits or in words.

"fifty thousand", "one and a half million", "1 500 000", "50k", "триста двадцать пять тысяч", "четырёхсот пятидесяти
тысяч" (any case: words are read in their dictionary form), "полтора миллиона", "два с половиной ляма", "полмиллиона",
"пол-ляма", and the slang of money talk: "двести к" (200 000), "два косаря" (2 000), "сотка" (100 000),
"полтинник" (50 000), "лям" (1 000 000). A scale said first is the Russian "about" ("тысяч сто пятьдесят" ≈ 150 000).

`tokens` splits text into `Token`s; `number_at` reads the number starting at a token, giving its value, the index
after it and whether a scale word (thousand, млн, к, лям) was used: a bare "50" is a count, "50 тысяч" an amount.
"""

import re
from dataclasses import dataclass

from words.lemmas import lemma

_TOKEN = re.compile(r"[$€£₽]|\d+(?:[.,]\d+)*[kKкК]?(?![\w])|\d+|[^\W\d_]+\.?|\S")
_DIGITS = re.compile(r"^(\d+(?:[.,]\d+)*)([kKкК]?)$")

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "ноль": 0, "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
    "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100, "двести": 200, "триста": 300,
    "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
}  # fmt: skip
SCALES = {
    "thousand": 1e3, "thousands": 1e3, "grand": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "mln": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "тысяча": 1e3, "тыс": 1e3, "тыщ": 1e3, "тыща": 1e3, "к": 1e3, "косарь": 1e3, "сотка": 1e5,
    "миллион": 1e6, "млн": 1e6, "лям": 1e6, "ляма": 1e6, "лямов": 1e6, "миллиард": 1e9, "млрд": 1e9,
}  # fmt: skip
# Slang said alone is a whole amount: "больше полтинника не потянем" is 50 000.
WHOLE_AMOUNTS = {"полтинник": 5e4, "полтос": 5e4, "косарь": 1e3, "сотка": 1e5, "лям": 1e6}
HALF = {"полтора": 1.5, "полторы": 1.5}
# "двести к": a lone "к"/"k" after a number is "thousand" only when no word follows that it could govern
# ("к пятнице" is "by Friday").
# A scale said first in the plural is "about" ("тысяч двести" ≈ 200 000); in the singular it is the number's first
# word ("тыща двести" is 1 200).
_PLURAL = frozenset({"тысяч", "тыщ", "тыс", "миллионов", "лямов"})
_SINGULAR = frozenset({"тысяча", "тыща", "миллион", "лям"})
_AFTER_K = frozenset({"", "в", "за", "на", "в месяц", "максимум", "не", "ну", "и", "а", "или", "до", "per", "a", "это"})


@dataclass(frozen=True)
class Token:
    text: str
    norm: str
    start: int
    end: int


def _norm(raw: str) -> str:
    word = raw.lower().replace("ё", "е")
    if word.endswith(".") and len(word) > 1:
        word = word[:-1]
    return lemma(word)


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), _norm(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def digits_value(text: str) -> tuple[float, float] | None:
    """(number, multiplier) of a digit token: '50,000' → (50000, 1), '1,5' → (1.5, 1), '50k' → (50, 1000)."""
    match = _DIGITS.match(text)
    if not match:
        return None
    body, suffix = match.groups()
    groups = re.split(r"[.,]", body)
    if len(groups) > 1 and all(len(group) == 3 for group in groups[1:]):
        number = float("".join(groups))
    elif len(groups) == 2:
        number = float(f"{groups[0]}.{groups[1]}")
    elif len(groups) == 1:
        number = float(body)
    else:
        return None
    return number, 1000.0 if suffix else 1.0


def scale(norm: str) -> float | None:
    if norm in SCALES:
        return SCALES[norm]
    if norm.startswith("тыс"):
        return 1e3
    return None


def _half_scale(norm: str) -> float | None:
    """'полмиллиона' → 500000.0."""
    if norm.startswith("пол") and len(norm) > 3 and norm not in WHOLE_AMOUNTS:
        found = scale(lemma(norm[3:].lstrip("-")))
        return found / 2 if found else None
    return None


def _k_scale(items: list[Token], j: int) -> bool:
    """Whether the "к"/"k" at `j` is "thousand" ("двести к в месяц"), not a preposition ("два к пятнице")."""
    following = items[j + 1].norm if j + 1 < len(items) else ""
    return not following.isalpha() or following in _AFTER_K


def _word(items: list[Token], j: int) -> str:
    return items[j].norm if j < len(items) else ""


def _adds(part: float, word: float) -> bool:
    """Whether number word `word` continues one ending in `part`: "двадцать пять", "триста двадцать", not
    "четырнадцать пятнадцать" (two numbers: a range said without "до")."""
    if part >= 100 and part % 100 == 0:
        return word < 100
    return part >= 20 and part % 10 == 0 and word < 10


def _scale_follows(items: list[Token], j: int) -> bool:
    """Whether a scale word comes after the number words starting at `j`."""
    while j < len(items) and items[j].norm in UNITS:
        j += 1
    return j < len(items) and scale(items[j].norm) is not None


def _thousands_after_millions(items: list[Token], j: int) -> tuple[float, int]:
    """The number words at `j` read as thousands (value, index after), added to nothing: the caller adds."""
    value, part, k = 0.0, 0.0, j
    while k < len(items) and items[k].norm in UNITS and (k == j or _adds(part, UNITS[items[k].norm])):
        value += UNITS[items[k].norm]
        part = UNITS[items[k].norm]
        k += 1
    return value * 1e3, k


def starts_number(items: list[Token], i: int) -> bool:
    norm = items[i].norm
    following = items[i + 1].norm if i + 1 < len(items) else ""
    if items[i].text.lower() in _SINGULAR and following in UNITS:
        return True
    if digits_value(items[i].text) or norm in UNITS or norm in HALF or _half_scale(norm) or norm in WHOLE_AMOUNTS:
        return True
    if norm == "пол" and following == "-":
        return True
    if norm == "a":
        return following == "hundred" or scale(following) is not None
    return norm == "half" and following == "a"


def number_at(items: list[Token], i: int) -> tuple[float, int, bool] | None:
    """(value, index after the last number token, whether a scale word was used) of the number starting at i."""
    total, current, last, scaled = 0.0, None, "", False
    part, big = 0.0, False  # the last number word added; whether a scale of a million or more was used
    j = i
    while j < len(items):
        token, norm = items[j], items[j].norm
        following = items[j + 1].norm if j + 1 < len(items) else ""
        digits = digits_value(token.text)
        if digits is not None:
            if last in {"digit", "unit", "hundred"}:
                break
            number, multiplier = digits
            # Russian writes thousands with spaces: "1 500 000" is three tokens.
            while (
                multiplier == 1.0
                and number == int(number)
                and j + 1 < len(items)
                and re.fullmatch(r"\d{3}", items[j + 1].text)
                and items[j + 1].start == items[j].end + 1
            ):
                number = number * 1000 + int(items[j + 1].text)
                j += 1
            if multiplier > 1:
                total += number * multiplier
                current, last, scaled = None, "scale", True
            else:
                current, last = number, "digit"
        elif norm in UNITS:
            if last == "digit" or (last == "unit" and not _adds(part, UNITS[norm])):
                break
            if last == "scale" and big and UNITS[norm] >= 100 and not _scale_follows(items, j):
                # "два миллиона восемьсот девяносто", "миллион семьсот": thousands said without their word.
                thousands, after = _thousands_after_millions(items, j)
                if after > j:
                    total += thousands
                    j, last = after, "scale"
                    continue
            current = (current or 0.0) + UNITS[norm]
            part, last = UNITS[norm], "unit"
        elif norm == "hundred" and last in {"unit", "digit", "a"}:
            current = (current or 1.0) * 100
            last = "hundred"
        elif norm in HALF:
            current, last = HALF[norm], "unit"
        elif norm == "half" and following == "a":
            current, last = 0.5, "a"
            j += 1
        elif norm == "a" and (following == "hundred" or scale(following) is not None):
            current, last = 1.0, "a"
        elif norm == "and" and following == "a" and j + 2 < len(items) and items[j + 2].norm == "half":
            current = (current or 0.0) + 0.5
            j += 2
        elif norm == "and" and following in UNITS and last == "hundred" and _word(items, j + 2) != "hundred":
            pass  # "three hundred and fifty"; "seven hundred and nine hundred" is a range
        elif norm == "с" and following == "половина" and current is not None:
            current += 0.5
            j += 1
        elif norm == "-" and last == "unit" and (current or 0) % 10 == 0 and UNITS.get(following, 10) < 10:
            pass  # "twenty-five"; "восемь-десять" is a range, read by the money finder
        elif norm == "пол" and following == "-" and current is None and j + 2 < len(items):
            half = scale(items[j + 2].norm)
            if half is None:
                break
            total, last, scaled = total + half / 2, "scale", True
            j += 2
        elif (half := _half_scale(norm)) is not None and current is None:
            total += half
            last, scaled = "scale", True
        elif norm in WHOLE_AMOUNTS and current is None and last != "scale":
            total += WHOLE_AMOUNTS[norm]
            last, scaled, big = "scale", True, WHOLE_AMOUNTS[norm] >= 1e6
        elif (found := scale(norm)) is not None and current is None and j == i and token.text.lower() in _SINGULAR:
            total, last, scaled, big = found, "scale", True, found >= 1e6  # "тысяча двести", "миллион семьсот"
        elif (found := scale(norm)) is not None and current is not None:
            if norm in {"к", "k"} and not _k_scale(items, j):
                break
            total += current * found
            current, last, scaled, big = None, "scale", True, big or found >= 1e6
        else:
            break
        j += 1
    value = total + (current or 0.0)
    if j == i or last in {"a", ""}:
        return None
    return value, j, scaled


def scale_first_at(items: list[Token], i: int) -> tuple[float, int, bool] | None:
    """A scale word said before its number, the Russian way of saying "about" ("тысяч сто пятьдесят" ≈ 150000), or
    alone before a currency ("около миллиона рублей"), with what `number_at` gives."""
    found = scale(items[i].norm)
    if found is None or items[i].text.lower().rstrip(".") not in _PLURAL:
        return None
    if i + 1 < len(items) and starts_number(items, i + 1):
        parsed = number_at(items, i + 1)
        if parsed is not None and not parsed[2] and parsed[0] < 1000:
            return parsed[0] * found, parsed[1], True
    return None
