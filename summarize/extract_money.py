"""Money amounts in what was said, in English and Russian, written in digits or spoken as words.

Recognised: "$50,000", "50k dollars", "USD 1.5 million", "fifty thousand dollars", "one and a half million",
"50 000 рублей", "50 тыс. руб.", "2 млн", "полтора миллиона", "пятьдесят тысяч рублей", "два с половиной ляма",
"тысяч сто пятьдесят" (the scale first: about 150000), "миллион рублей".
A mention's value is the normalised form "<amount> <ISO 4217 code>" ("50000 RUB"), or "<amount>" when no currency
was said; the amount has no thousands separators and a '.' before any decimals ("1500000 USD", "2.5 EUR").

Amounts without a currency count only when said with a scale word ("50 thousand", "2 млн") or as whole thousands
("50000"): other bare numbers are counts, times, years, order and phone numbers. An amount right after a negator
in the same clause ("not $500", "не 500 тысяч") is marked negated, unless a limit word stands between
("not more than $500", "не больше 500 тысяч" still name an amount).
"""

import re
from dataclasses import dataclass

from summarize.text import normalize_token

_TOKEN = re.compile(r"[$€£₽]|\d+(?:[.,]\d+)*[kKкК]?(?![\w])|\d+|[^\W\d_]+\.?|\S")
_DIGITS = re.compile(r"^(\d+(?:[.,]\d+)*)([kKкК]?)$")

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "ноль": 0, "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8,
    "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
    "восемьдесят": 80, "девяносто": 90, "сто": 100, "двести": 200, "триста": 300, "четыреста": 400,
    "пятьсот": 500, "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
}  # fmt: skip
_SCALES = {
    "thousand": 1e3, "thousands": 1e3, "grand": 1e3,
    "million": 1e6, "millions": 1e6, "mln": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "тысяча": 1e3, "тыс": 1e3, "тыщ": 1e3, "тыща": 1e3,
    "миллион": 1e6, "млн": 1e6, "лям": 1e6, "ляма": 1e6, "лямов": 1e6, "миллиард": 1e9, "млрд": 1e9,
}  # fmt: skip
_CURRENCIES = {
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD",
    "доллар": "USD", "долл": "USD", "бакс": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "евро": "EUR",
    "₽": "RUB", "rub": "RUB", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB", "roubles": "RUB",
    "рубль": "RUB", "руб": "RUB", "р": "RUB",
    "£": "GBP", "gbp": "GBP",
    "тенге": "KZT", "kzt": "KZT",
}  # fmt: skip
_NEGATORS = frozenset({"not", "no", "never", "не", "нет", "ни"})
_LIMITS = frozenset({
    "more", "less", "over", "under", "above", "below", "than", "exceed", "exceeding",
    "больше", "более", "выше", "дороже", "меньше", "менее", "ниже", "дешевле", "свыше",
})  # fmt: skip
_CLAUSE_END = frozenset(".,;:!?…")
_HALF = {"полтора": 1.5, "полторы": 1.5}
_BARE_ROUND = 1000


@dataclass(frozen=True)
class MoneyMention:
    start: int
    end: int
    amount: float
    currency: str | None
    negated: bool

    @property
    def value(self) -> str:
        return format_money(self.amount, self.currency)


@dataclass(frozen=True)
class _Token:
    text: str
    norm: str
    start: int
    end: int


def format_money(amount: float, currency: str | None) -> str:
    number = f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{number} {currency}" if currency else number


def _norm(raw: str) -> str:
    word = raw.lower().replace("ё", "е")
    if word.endswith(".") and len(word) > 1:
        word = word[:-1]
    if re.search(r"[а-я]", word):
        return normalize_token(word, "ru")
    return word


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), _norm(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _digits_value(text: str) -> tuple[float, float] | None:
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


def _scale(norm: str) -> float | None:
    if norm in _SCALES:
        return _SCALES[norm]
    if norm.startswith("тыс"):
        return 1e3
    return None


def _half_scale(norm: str) -> float | None:
    """'полмиллиона' → 500000.0."""
    if norm.startswith("пол") and len(norm) > 3:
        scale = _scale(normalize_token(norm[3:], "ru"))
        return scale / 2 if scale else None
    return None


def _starts_number(tokens: list[_Token], i: int) -> bool:
    norm = tokens[i].norm
    if _digits_value(tokens[i].text) or norm in _UNITS or norm in _HALF or _half_scale(norm):
        return True
    following = tokens[i + 1].norm if i + 1 < len(tokens) else ""
    if norm == "a":
        return following == "hundred" or _scale(following) is not None
    return norm == "half" and following == "a"


def _parse_number(tokens: list[_Token], i: int) -> tuple[float, int, bool] | None:
    """(value, index after the last number token, whether a scale word was used) of the number starting at i."""
    total, current, last, scaled = 0.0, None, "", False
    j = i
    while j < len(tokens):
        token, norm = tokens[j], tokens[j].norm
        following = tokens[j + 1].norm if j + 1 < len(tokens) else ""
        digits = _digits_value(token.text)
        if digits is not None:
            if last in {"digit", "unit", "hundred"}:
                break
            number, multiplier = digits
            # Russian writes thousands with spaces: "1 500 000" is three tokens.
            while (
                multiplier == 1.0
                and number == int(number)
                and j + 1 < len(tokens)
                and re.fullmatch(r"\d{3}", tokens[j + 1].text)
                and tokens[j + 1].start == tokens[j].end + 1
            ):
                number = number * 1000 + int(tokens[j + 1].text)
                j += 1
            if multiplier > 1:
                total += number * multiplier
                current, last, scaled = None, "scale", True
            else:
                current, last = number, "digit"
        elif norm in _UNITS:
            if last == "digit":
                break
            current = (current or 0.0) + _UNITS[norm]
            last = "unit"
        elif norm == "hundred" and last in {"unit", "digit", "a"}:
            current = (current or 1.0) * 100
            last = "hundred"
        elif norm in _HALF:
            current, last = _HALF[norm], "unit"
        elif norm == "half" and following == "a":
            current, last = 0.5, "a"
            j += 1
        elif norm == "a" and (following == "hundred" or _scale(following) is not None):
            current, last = 1.0, "a"
        elif norm == "and" and following == "a" and j + 2 < len(tokens) and tokens[j + 2].norm == "half":
            current = (current or 0.0) + 0.5
            j += 2
        elif norm == "and" and following in _UNITS and last == "hundred":
            pass
        elif norm == "с" and following == "половина" and current is not None:
            current += 0.5
            j += 1
        elif norm == "-" and following in _UNITS and last == "unit":
            pass
        elif (half := _half_scale(norm)) is not None and current is None:
            total += half
            last, scaled = "scale", True
        elif (scale := _scale(norm)) is not None and current is not None:
            total += current * scale
            current, last, scaled = None, "scale", True
        else:
            break
        j += 1
    value = total + (current or 0.0)
    if j == i or last in {"a", ""}:
        return None
    return value, j, scaled


def _scale_first(tokens: list[_Token], i: int) -> tuple[float, int, bool] | None:
    """A scale word said before its number, the Russian way of saying "about" ("тысяч сто пятьдесят" ≈ 150000), or
    alone before a currency ("около миллиона рублей")."""
    scale = _scale(tokens[i].norm)
    if scale is None:
        return None
    if i + 1 < len(tokens) and _starts_number(tokens, i + 1):
        parsed = _parse_number(tokens, i + 1)
        if parsed is not None and not parsed[2] and parsed[0] < 1000:
            return parsed[0] * scale, parsed[1], True
    if i + 1 < len(tokens) and _currency(tokens[i + 1]):
        return scale, i + 1, True
    return None


def _currency(token: _Token | None) -> str | None:
    if token is None:
        return None
    return _CURRENCIES.get(token.norm) or _CURRENCIES.get(token.text.lower().rstrip("."))


def _negated(tokens: list[_Token], first: int) -> bool:
    for index in range(first - 1, max(first - 3, -1), -1):
        word = tokens[index].text.lower()
        if word in _CLAUSE_END or word in _LIMITS:
            return False
        if word in _NEGATORS:
            return True
    return False


def find_money(text: str) -> list[MoneyMention]:
    """Every money amount mentioned in `text`, with its character span (currency words included)."""
    tokens = _tokens(text)
    mentions: list[MoneyMention] = []
    i = 0
    while i < len(tokens):
        parsed = _parse_number(tokens, i) if _starts_number(tokens, i) else _scale_first(tokens, i)
        if parsed is None:
            i += 1
            continue
        amount, after, scaled = parsed
        first, last = i, after - 1
        currency = _currency(tokens[i - 1]) if i > 0 else None
        if currency:
            first = i - 1
        else:
            currency = _currency(tokens[after]) if after < len(tokens) else None
            if currency:
                last = after
        if amount > 0 and (currency or (scaled or amount % _BARE_ROUND == 0)):
            mentions.append(
                MoneyMention(
                    start=tokens[first].start,
                    end=tokens[last].end,
                    amount=amount,
                    currency=currency,
                    negated=_negated(tokens, first),
                )
            )
        i = max(after, last + 1)
    return mentions
