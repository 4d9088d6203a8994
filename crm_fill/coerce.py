"""Checking one proposed or edited value against its field's spec and bringing it to the field's type.

| type | stored as | accepted |
|---|---|---|
| string | str | non-empty text (numbers become text), surrounding space removed |
| number | float | a number, or digits with separators ("50 000", "1,5") |
| money | str "<amount> <CODE>" | see `words.money.parse_money` |
| date | datetime.date | a date, an ISO date, or a phrase resolved by `words.dates` against the call's start |
| enum | str, one of allowed_values | an allowed value or its title in any language, any case, or a value_phrase |
| bool | bool | true/false, yes/no, да/нет, 1/0 |

A `multiple` field holds a list of unique strings (dates as ISO strings), from a list or, for enums and text fields
with known values (`value_phrases`), from text separated by commas or semicolons; a text value naming a known value
takes its spelling ("hubspot" → "HubSpot").
"""

import re
from datetime import date, datetime

from models import FieldSpec, FieldType
from models.errors import BadInput
from models.proposal import FieldValue
from words.dates import resolve_date
from words.money import parse_money, parse_number

_TRUE = frozenset({"true", "yes", "y", "1", "да", "истина"})
_FALSE = frozenset({"false", "no", "n", "0", "нет", "ложь"})


class InvalidValue(BadInput, ValueError):
    """A value that does not fit its field; the message says why."""


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValue(f"{value!r} is not text")
    text = str(value).strip()
    if not text:
        raise InvalidValue("the value is empty")
    return text


def _enum(value: object, spec: FieldSpec) -> str:
    titled = spec.value_of_title(_text(value))
    if titled is not None and titled in spec.allowed_values:
        return titled
    wanted = _fold(_text(value))
    for allowed, by_language in spec.value_phrases.items():
        if any(_fold(phrase) == wanted for phrases in by_language.values() for phrase in phrases):
            return allowed
    raise InvalidValue(f"'{value}' is not one of: {', '.join(spec.allowed_values)}")


def _known(value: object, spec: FieldSpec) -> object:
    """A free-text value under the spelling of the known value it names ("hubspot", "Битрикс24" → "HubSpot",
    "Bitrix24"); any other value as it is: known values are hints, not a closed list."""
    if not isinstance(value, str):
        return value
    titled = spec.value_of_title(value)
    if titled is not None:
        return titled
    wanted = _fold(value)
    for known, by_language in spec.value_phrases.items():
        if _fold(known) == wanted or any(_fold(p) == wanted for phrases in by_language.values() for p in phrases):
            return known
    return value


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = _fold(_text(value))
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidValue(f"'{value}' is not yes or no")


def _number(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return parse_number(_text(value))
    except ValueError as exc:
        raise InvalidValue(f"'{value}' is not a number") from exc


def _date(value: object, reference: datetime | None, language: str | None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return resolve_date(_text(value), reference, language)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from exc


def _single(
    value: object, spec: FieldSpec, reference: datetime | None, language: str | None
) -> str | float | bool | date:
    match spec.type:
        case FieldType.string:
            return _text(value)
        case FieldType.number:
            return _number(value)
        case FieldType.money:
            try:
                return parse_money(value)
            except ValueError as exc:
                raise InvalidValue(str(exc)) from exc
        case FieldType.date:
            return _date(value, reference, language)
        case FieldType.enum:
            return _enum(value, spec)
        case FieldType.bool:
            return _bool(value)
    raise InvalidValue(f"field type '{spec.type}' is not supported")


def coerce_value(
    value: object, spec: FieldSpec, reference: datetime | None = None, language: str | None = None
) -> FieldValue:
    """`value` in the form `spec` stores; InvalidValue saying why it does not fit.

    `reference` is the call's start in its local time (`CallInfo.reference_time()`): without it relative dates
    are refused.
    """
    if not spec.multiple:
        if isinstance(value, list):
            if len(value) != 1:
                raise InvalidValue(f"'{spec.name}' takes one value, got {len(value)}")
            value = value[0]
        return _single(value, spec, reference, language)
    items = value if isinstance(value, list) else [value]
    if spec.type == FieldType.enum or (spec.type == FieldType.string and spec.value_phrases):
        items = [part for item in items for part in (re.split(r"[,;]", item) if isinstance(item, str) else [item])]
        items = [item for item in items if not isinstance(item, str) or item.strip()]
    if spec.type == FieldType.string:
        items = [_known(item, spec) for item in items]
    values: list[str] = []
    for item in items:
        single = _single(item, spec, reference, language)
        text = single.isoformat() if isinstance(single, date) else str(single)
        if text not in values:
            values.append(text)
    if not values:
        raise InvalidValue("the value is empty")
    return values
