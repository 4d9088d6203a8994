"""Money values typed by a rep or answered by an LLM, in the normalised form "<amount> <currency>".

The normalised form is "<amount> <ISO 4217 code>", e.g. "50000 RUB", "1250.5 USD": the amount has no thousands
separators, '.' before at most two decimals, and the code is omitted when no currency is known ("50000").
Accepted input: a number; digits with spaces, apostrophes, commas or dots as thousands separators ("50 000",
"50,000", "1'500") and a comma or a dot as the decimal mark ("1,5"); a scale ("50k", "1.5 млн", "2 million",
"50 тыс."); a currency symbol or code before or after ("$50,000", "50000 RUB", "USD 1200"), or a currency word
after ("50 000 рублей", "200 dollars", "100 евро").
"""

import re

_CURRENCY_WORDS = {
    "$": "USD", "dollar": "USD", "buck": "USD", "долл": "USD", "бакс": "USD",
    "€": "EUR", "euro": "EUR", "евро": "EUR",
    "₽": "RUB", "rub": "RUB", "roubl": "RUB", "руб": "RUB", "р": "RUB",
    "£": "GBP", "pound": "GBP",
    "тенге": "KZT",
}  # fmt: skip
_SCALES = {
    "k": 1e3, "к": 1e3, "thousand": 1e3, "тыс": 1e3, "тысяч": 1e3,
    "m": 1e6, "mln": 1e6, "million": 1e6, "млн": 1e6, "миллион": 1e6,
    "bn": 1e9, "billion": 1e9, "млрд": 1e9, "миллиард": 1e9,
}  # fmt: skip
_MONEY = re.compile(
    r"^(?P<before>[$€£₽]|[A-Z]{3})?\s*(?P<number>\d[\d\s'.,]*?)\s*(?P<scale>[^\W\d_]+\.?)?\s*(?P<after>[$€£₽]|[^\W\d_]+\.?)?$"
)


def parse_number(text: str) -> float:
    """A number written with any common thousands separator and decimal mark ("50 000", "50,000", "1,5")."""
    compact = re.sub(r"[\s']", "", text)
    if "," in compact and "." in compact:
        decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
        compact = compact.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif "," in compact or "." in compact:
        groups = re.split(r"[.,]", compact)
        if len(groups) > 1 and all(len(group) == 3 for group in groups[1:]):
            compact = "".join(groups)
        elif len(groups) == 2:
            compact = f"{groups[0]}.{groups[1]}"
        else:
            raise ValueError(f"'{text}' is not a number")
    return float(compact)


def _scale(word: str) -> float | None:
    word = word.lower().rstrip(".")
    return next(
        (value for stem, value in _SCALES.items() if word == stem or (word.startswith(stem) and len(stem) > 2)), None
    )


def _currency(word: str) -> str | None:
    if re.fullmatch(r"[A-Z]{3}", word):
        return word
    lowered = word.lower().rstrip(".")
    if re.fullmatch(r"(?:usd|eur|rub|gbp|kzt|cny|byn|uah)", lowered):
        return lowered.upper()
    return next(
        (
            code
            for stem, code in _CURRENCY_WORDS.items()
            if lowered == stem or (lowered.startswith(stem) and len(stem) > 1)
        ),
        None,
    )


def format_money(amount: float, currency: str | None) -> str:
    number = f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{number} {currency}" if currency else number


def parse_money(value: object) -> str:
    """The normalised form of a money value; ValueError naming the value when it is not an amount."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a money amount")
    if isinstance(value, int | float):
        amount, currency = float(value), None
    else:
        match = _MONEY.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not a money amount")
        amount = parse_number(match["number"])
        currency = _currency(match["before"]) if match["before"] else None
        scaled = False
        for word in (word for word in (match["scale"], match["after"]) if word):
            if not scaled and (scale := _scale(word)) is not None:
                amount, scaled = amount * scale, True
            elif currency is None and (code := _currency(word)) is not None:
                currency = code
            else:
                raise ValueError(f"'{value}' is not a money amount: unknown word '{word}'")
    if amount <= 0:
        raise ValueError(f"'{value}' is not a positive amount")
    return format_money(amount, currency)
