"""Money amounts: found in what was said (`find_money`) and read from a typed value (`parse_money`).

Both give the normalised form "<amount> <ISO 4217 code>" ("50000 RUB", "1250.5 USD"), or "<amount>" when no
currency was said: no thousands separators, '.' before at most two decimals.

Said amounts ("$50,000", "fifty thousand dollars", "50 тыс. руб.", "полтора ляма", "двести к", "рублей семьсот
пятьдесят") count without a currency only when said with a scale word or as whole thousands: other bare numbers are
counts, times, years, order and phone numbers. Each mention also says:
- `low`: the lower end of a range ("от шестидесяти до восьмидесяти тысяч", "тысяч восемь — десять", "четыреста
  может пятьсот тысяч"); `amount` is then the upper end, what the speaker could go up to;
- `period`: "month" or "year" when said with it ("в месяц", "per year", "на год"), else None;
- `per_unit`: a price of one item, seat or person ("за штуку", "за человека", "per user"), not a total;
- `negated`: right after a negator in the same clause ("not $500", "не 500 тысяч"), unless a limit word stands
  between ("не больше 500 тысяч" still names an amount).
"""

import re
from dataclasses import dataclass

from words.currency import currency_of
from words.lemmas import is_plural_noun, lemma
from words.numbers import Token, number_at, scale, scale_first_at, starts_number, tokens

_NEGATORS = frozenset({"not", "no", "never", "не", "нет", "ни"})
_LIMITS = frozenset({
    "more", "less", "over", "under", "above", "below", "than", "exceed", "exceeding",
    "больше", "более", "выше", "дороже", "меньше", "менее", "ниже", "дешевле", "свыше",
})  # fmt: skip
_CLAUSE_END = frozenset(".,;:!?…")
_RANGE_JOINS = frozenset({"до", "-", "—", "–", "to", "или", "or", "может"})
_BARE_ROUND = 1000
_PERIODS = {
    "месяц": "month", "мес": "month", "month": "month", "monthly": "month", "ежемесячно": "month",
    "год": "year", "year": "year", "yearly": "year", "annually": "year", "annual": "year", "ежегодно": "year",
}  # fmt: skip
_PERIOD_LEADS = frozenset({"в", "per", "a", "на", "за", "/", "an"})
# "за" + one of these is a period or the whole ("за всё про всё"), not a unit price.
_NOT_UNITS = frozenset({"месяц", "год", "квартал", "весь", "все", "всё", "это", "раз", "неделя", "день", "полгода"})
_UNIT_LEADS = frozenset({"за", "с", "на"})
_UNIT_WORDS_EN = frozenset({"user", "users", "seat", "seats", "license", "licence", "unit", "head", "person", "hour"})
_RU_UNIT_HEADS = frozenset({"человек", "пользователь", "сотрудник", "штука", "единица", "лицензия", "место", "один"})


@dataclass(frozen=True)
class MoneyMention:
    start: int
    end: int
    amount: float
    currency: str | None
    negated: bool
    low: float | None = None
    period: str | None = None
    per_unit: bool = False

    @property
    def value(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: float, currency: str | None) -> str:
    number = f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{number} {currency}" if currency else number


def _currency(items: list[Token], index: int) -> str | None:
    return currency_of(items[index].text) if 0 <= index < len(items) else None


def _number(items: list[Token], i: int) -> tuple[float, int, bool] | None:
    if starts_number(items, i):
        return number_at(items, i)
    if (parsed := scale_first_at(items, i)) is not None:
        return parsed
    # A scale word alone before a currency: "около миллиона рублей".
    found = scale(items[i].norm)
    if found is not None and items[i].norm not in {"к", "k"} and _currency(items, i + 1):
        return found, i + 1, True
    return None


def _negated(items: list[Token], first: int) -> bool:
    for index in range(first - 1, max(first - 3, -1), -1):
        word = items[index].text.lower()
        if word in _CLAUSE_END or word in _LIMITS:
            return False
        if word in _NEGATORS:
            return True
    return False


def _range_end(
    items: list[Token], first: int, after: int, amount: float, scaled: bool
) -> tuple[float, float, int, bool] | None:
    """(low, high, index after, scaled) when the number from `first` to `after` opens a range; the scale said once
    serves both ends ("от шестидесяти до восьмидесяти тысяч", "тысяч восемь — десять", "between ten and twelve")."""
    if after + 1 >= len(items):
        return None
    join = items[after].text.lower()
    between = join == "and" and first > 0 and items[first - 1].norm == "between"
    if join not in _RANGE_JOINS and not between:
        return None
    second = _number(items, after + 1)
    if second is None:
        return None
    high, end, high_scaled = second
    low = amount
    if high_scaled and not scaled:
        factor = max((f for f in (1e3, 1e6, 1e9) if low * f <= high), default=1.0)
        low *= factor
    elif scaled and not high_scaled and high < 1000:
        factor = max((f for f in (1e3, 1e6, 1e9) if f <= low), default=1.0)
        high *= factor
    if not low < high:
        return None
    return low, high, end, scaled or high_scaled


def _period(items: list[Token], after: int) -> str | None:
    for index in range(after, min(after + 4, len(items))):
        word = items[index].norm
        if word in _CLAUSE_END:
            return None
        period = _PERIODS.get(word)
        if period and (index == after or items[index - 1].norm in _PERIOD_LEADS):
            return period
    return None


_EN_NOT_COUNTED = frozenset({"tops", "plus", "this", "less", "was", "is", "has", "its", "yes", "thanks", "as", "us"})


def _counted(items: list[Token], after: int) -> bool:
    """Whether the word after a bare amount says what was counted ("сорок камер", "2,000 employees"): a quantity,
    not money."""
    if after >= len(items):
        return False
    word = items[after].text.lower()
    if word in _PERIODS or items[after].norm in _PERIODS or currency_of(word) or scale(items[after].norm):
        return False
    if re.fullmatch(r"[a-z]+", word):
        return len(word) > 3 and word.endswith("s") and word not in _EN_NOT_COUNTED
    return is_plural_noun(word)


def _per_unit(items: list[Token], after: int) -> bool:
    if after + 1 >= len(items):
        return after < len(items) and items[after].norm == "each"
    lead, head = items[after].norm, items[after + 1].norm
    if lead == "each" or (lead in {"per", "a"} and head in _UNIT_WORDS_EN):
        return True
    if lead not in _UNIT_LEADS or not head.isalpha():
        return False
    if lead == "за":
        return head not in _NOT_UNITS and head not in _PERIODS and head not in _NEGATORS
    return head in _RU_UNIT_HEADS


def find_money(text: str) -> list[MoneyMention]:
    """Every money amount mentioned in `text`, with its character span (currency words included)."""
    items = tokens(text)
    mentions: list[MoneyMention] = []
    i = 0
    while i < len(items):
        parsed = _number(items, i)
        if parsed is None:
            i += 1
            continue
        amount, after, scaled = parsed
        low = None
        if (ranged := _range_end(items, i, after, amount, scaled)) is not None:
            low, amount, after, scaled = ranged
        first, last = i, after - 1
        currency = _currency(items, i - 1)
        if currency:
            first = i - 1
        elif currency := _currency(items, after):
            last = after
        if currency is None and _counted(items, after):
            i = after
            continue
        period = _period(items, last + 1)
        # "seventy-five a month": English says small amounts with a period and no currency. Russian drops "тысяч"
        # there instead ("шестьдесят в месяц" is 60 000), so a bare Russian number is not read as one.
        english = items[i].text.isascii()
        if amount > 0 and (
            currency or scaled or amount % _BARE_ROUND == 0 or (english and period and last + 1 == after)
        ):
            mentions.append(
                MoneyMention(
                    start=items[first].start,
                    end=items[last].end,
                    amount=amount,
                    currency=currency,
                    negated=_negated(items, first),
                    low=low,
                    period=period,
                    per_unit=_per_unit(items, last + 1),
                )
            )
        i = max(after, last + 1)
    return mentions


_TYPED = re.compile(
    r"^(?P<before>[$€£₽]|[A-Z]{3})?\s*(?P<number>\d[\d\s'.,]*?)\s*(?P<scale>[^\W\d_]+\.?)?\s*(?P<after>[$€£₽]|[^\W\d_]+\.?)?$"
)
# Typed shorthands beyond the spoken scales: "1.5m", "2 mio".
_TYPED_SCALES = {"m": 1e6, "mio": 1e6, "mm": 1e6}


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


def _typed_scale(word: str) -> float | None:
    word = word.lower().rstrip(".")
    if word in _TYPED_SCALES:
        return _TYPED_SCALES[word]
    if word in {"k", "к"}:
        return 1e3
    found = scale(lemma(word))
    if found is None and word.endswith("s"):
        found = scale(word[:-1])
    return found


def parse_money(value: object) -> str:
    """The normalised form of a typed money value ("50 000 рублей", "$50,000", "1.5 млн", 75000); ValueError
    naming the value when it is not a positive amount."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{value!r} is not a money amount")
    if isinstance(value, int | float):
        amount, currency = float(value), None
    else:
        match = _TYPED.match(value.strip())
        if not match:
            raise ValueError(f"'{value}' is not a money amount")
        amount = parse_number(match["number"])
        currency = currency_of(match["before"]) if match["before"] else None
        scaled = False
        for word in (word for word in (match["scale"], match["after"]) if word):
            if not scaled and (factor := _typed_scale(word)) is not None:
                amount, scaled = amount * factor, True
            elif currency is None and (code := currency_of(word)) is not None:
                currency = code
            else:
                raise ValueError(f"'{value}' is not a money amount: unknown word '{word}'")
    if amount <= 0:
        raise ValueError(f"'{value}' is not a positive amount")
    return format_money(amount, currency)
