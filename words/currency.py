"""Currency words, symbols and codes, English and Russian, and the ISO 4217 code each one names."""

import re

from words.lemmas import lemma

# Keys are lower-case dictionary forms (Russian words are looked up by lemma, so "рублей", "долларов" meet them).
CURRENCIES = {
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD",
    "доллар": "USD", "долл": "USD", "бакс": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "евро": "EUR",
    "₽": "RUB", "rub": "RUB", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB", "roubles": "RUB",
    "рубль": "RUB", "руб": "RUB", "р": "RUB", "рублей": "RUB",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "тенге": "KZT", "kzt": "KZT",
}  # fmt: skip
_CODE = re.compile(r"(?:usd|eur|rub|gbp|kzt|cny|byn|uah)", re.IGNORECASE)


def currency_of(word: str) -> str | None:
    """The ISO code `word` names ("рублей" → RUB, "$" → USD, "CNY" → CNY), or None."""
    lowered = word.lower().rstrip(".").replace("ё", "е")
    if _CODE.fullmatch(lowered):
        return lowered.upper()
    return CURRENCIES.get(lowered) or CURRENCIES.get(lemma(lowered))
