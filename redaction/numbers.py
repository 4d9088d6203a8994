"""Phone, card, passport, SNILS and INN numbers: digit groups said in a row, checked by their format and check
digits, and for the types whose digits alone prove little, by the words said just before.

A run is digit groups joined only by spaces, dashes, brackets or commas (and "номер"/"№" inside a passport number);
a date, a time, a decimal or a version ("12.05.2024", "15:30", "2.5") never joins one. Within a run the longest
stretch of groups that passes a check is taken, left to right, so "8 916 123 45 67 10 штук" yields the phone only.
Numbers followed by a currency, scale or unit word ("1 500 000 рублей") are amounts and quantities, never redacted.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers

from redaction.checksums import inn_valid, luhn_valid, snils_valid
from redaction.entities import PiiSpan, PiiType
from redaction.spoken import PLUS_WORDS, Token, tokens

_JOINERS = frozenset("-–—()+,")
_CONNECTORS = frozenset({"номер", "№", "number", "no"})
_MAX_DIGITS = 19
_CONTEXT_CHARS = 48
# Regions a number said without its country code is tried in, by call language, after the call's own region;
# Russian numbers are tried always.
_REGIONS = {"ru": ("RU",), "en": ("US", "RU")}
_MIN_PHONE_DIGITS = 7
_MIN_PART_DIGITS = 4

_PASSPORT_CONTEXT = re.compile(r"паспорт|passport|серия|серии|серию", re.IGNORECASE)
_SNILS_CONTEXT = re.compile(r"снилс|snils|страхов\w* номер|insurance number", re.IGNORECASE)
_INN_CONTEXT = re.compile(r"\b(?:инн|inn|taxpayer|tax id|tax number|налогоплательщик\w*)\b", re.IGNORECASE)
# Digits right after these words name an order, an invoice or a contract: not a phone, INN or SNILS said bare.
_DOCUMENT_WORDS = (
    r"order|invoice|account|contract|ticket|case|reference|ref|"
    r"заказ\w*|сч[её]т\w*|договор\w*|артикул\w*|накладн\w*|заявк\w*"
)
_AFTER_NUMBER_WORD = r"(?:\s+(?:number|no\.?|id|#|номер|n|№))?\s*[:#№]?\s*$"
_DOCUMENT = re.compile(rf"(?:{_DOCUMENT_WORDS}){_AFTER_NUMBER_WORD}", re.IGNORECASE)
_NOT_A_PHONE = re.compile(
    rf"(?:{_DOCUMENT_WORDS}|inn|snils|passport|инн|снилс|паспорт\w*|серия|серии){_AFTER_NUMBER_WORD}", re.IGNORECASE
)
# Said right before digits, these make even a number that does not dial (a digit lost in recognition) a phone.
_PHONE_CONTEXT = re.compile(r"phone|mobile|cell|телефон|мобильн|сотов", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(
    r"\s*(?:[$€£₽%]|(?:руб|р\b|рубл|долл|бакс|евро|тыс|тыщ|млн|миллион|млрд|миллиард|штук|шт\b|процент|год|лет\b|"
    r"месяц|дн|минут|час|usd|eur|rub|dollar|buck|euro|thousand|million|billion|percent|year|month|day|hour|minute|"
    r"piece|pcs|unit|seat|user|пользовател|лиценз|licen|мест\b|сотрудник|employee))",
    re.IGNORECASE,
)
_AMOUNT_BEFORE = re.compile(r"(?:[$€£₽]|usd|eur|rub)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    digits: str
    spoken: bool
    plus_at: int | None
    after_connector: bool


def _runs(items: list[Token]) -> list[list[_Group]]:
    runs: list[list[_Group]] = []
    current: list[_Group] = []
    plus_at: int | None = None
    connector = False
    for token in items:
        word = token.text.lower()
        if token.digits is not None:
            current.append(_Group(token.start, token.end, token.digits, token.spoken, plus_at, connector))
            plus_at, connector = None, False
        elif token.text == "+" or word in PLUS_WORDS:
            plus_at = token.start
        elif token.text in _JOINERS:
            continue
        elif word in _CONNECTORS and current:
            connector = True
        else:
            if current:
                runs.append(current)
            current, plus_at, connector = [], None, False
    if current:
        runs.append(current)
    return runs


def _is_phone(digits: str, plus: bool, regions: tuple[str, ...]) -> bool:
    if plus:
        candidates: list[tuple[str, str | None]] = [("+" + digits, None)]
    elif len(digits) < 10:
        return False
    else:
        candidates = [(digits, region) for region in regions]
    for number, where in candidates:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(number, where)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _classify(
    text: str, groups: list[_Group], regions: tuple[str, ...], known: Mapping[str, PiiType]
) -> PiiType | None:
    digits = "".join(g.digits for g in groups)
    start, end = groups[0].start, groups[-1].end
    if len(digits) > _MAX_DIGITS or len(digits) < _MIN_PART_DIGITS:
        return None
    if _AMOUNT_AFTER.match(text, end) or _AMOUNT_BEFORE.search(text[max(0, start - 8) : start]):
        return None
    kind = _by_format(text[max(0, start - _CONTEXT_CHARS) : start], groups, digits, regions)
    if kind is None:
        kind = next((kind for number, kind in known.items() if digits in number), None)
    return kind


def _by_format(before: str, groups: list[_Group], digits: str, regions: tuple[str, ...]) -> PiiType | None:
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    layout = tuple(len(g.digits) for g in groups)
    written_whole = len(groups) == 1 and not groups[0].spoken
    if any(g.after_connector for g in groups[1:]):
        return PiiType.passport if len(digits) == 10 and _PASSPORT_CONTEXT.search(before) else None
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
        return PiiType.card
    if len(digits) == 11 and snils_valid(digits) and (layout == (3, 3, 3, 2) or _SNILS_CONTEXT.search(before)):
        return PiiType.snils
    if (
        len(digits) == 10
        and _PASSPORT_CONTEXT.search(before)
        and layout in {(4, 6), (2, 2, 6), (10,)} | ({layout} if any(g.spoken for g in groups) else set())
    ):
        return PiiType.passport
    if len(digits) in (10, 12) and inn_valid(digits) and _INN_CONTEXT.search(before):
        return PiiType.inn
    plus = groups[0].plus_at is not None
    if not _NOT_A_PHONE.search(before) and (
        _is_phone(digits, plus, regions) or (len(digits) <= 15 and _PHONE_CONTEXT.search(before))
    ):
        return PiiType.phone
    if not written_whole or _DOCUMENT.search(before):
        return None
    if inn_valid(digits):
        return PiiType.inn
    return PiiType.snils if snils_valid(digits) else None


def digits_of(text: str) -> str:
    """The digits a found number is made of, spoken ones included ("восемь девятьсот" → "8900")."""
    return "".join(token.digits for token in tokens(text) if token.digits)


def find_numbers(
    text: str, language: str, region: str | None = None, known: Mapping[str, PiiType] | None = None
) -> list[PiiSpan]:
    """Spans of phone, card, passport, SNILS and INN numbers in `text`. Phone numbers said without a country code
    are read in `region` (the call's country, e.g. "GB"), then in the regions of the call's language. `known`:
    digits of numbers found elsewhere in the call; a part of one (a quote that cuts a phone number off, a rep
    reading back its last digits) is redacted as that number, from four digits on."""
    known = known or {}
    regions = tuple(dict.fromkeys([*([region] if region else []), *_REGIONS.get(language[:2].lower(), ("RU",))]))
    spans: list[PiiSpan] = []
    for run in _runs(tokens(text)):
        first = 0
        while first < len(run):
            for last in range(len(run) - 1, first - 1, -1):
                kind = _classify(text, run[first : last + 1], regions, known)
                if kind is not None:
                    plus_at = run[first].plus_at
                    start = plus_at if plus_at is not None else run[first].start
                    spans.append(PiiSpan(start, run[last].end, kind))
                    first = last + 1
                    break
            else:
                first += 1
    return spans
