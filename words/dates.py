"""The date resolver: a date as said on a call ("next Tuesday", "до конца месяца", "15 марта") into a calendar date.

Relative expressions are resolved against the call's start in the team's time zone. Rules that dateparser lacks or
reads differently come first:
- today / tonight / tomorrow / the day after tomorrow, сегодня / завтра / послезавтра;
- a weekday: "Tuesday", "this Tuesday", "во вторник", "до пятницы" is the first such day after the call's day;
  "next Tuesday", "в следующий вторник", "Tuesday next week" is that day in the next calendar week (Monday first);
- the end, beginning or middle of this or next (working) week, month, quarter or year, or of a named month
  ("end of next month", "до конца месяца", "в начале апреля"): the period's last, first or middle day (the 15th of
  a month);
- a month alone: "в октябре", "in October" is its last day, "к октябрю", "до октября", "by October" its first;
- ordinal words become digits ("the first of April", "пятнадцатого марта").
Everything else goes to dateparser (English and Russian, future dates preferred, dotted dates day-first).
Without the call's date only expressions that name day, month and year are accepted.
"""

import re
from calendar import monthrange
from datetime import date, datetime, timedelta

import dateparser

from words.calendar import MONTH_STEMS, MONTHS, WEEKDAY_STEMS, WEEKDAYS

_LEADING = re.compile(r"^(?:on|by|until|till|before|no later than|в|во|до|к|ко)\s+", re.IGNORECASE)
_WEEKDAY = re.compile(
    r"^(?:(?P<which>next|this|coming|следующ\w*|будущ\w*|этот|эту|это|ближайш\w*)\s+)?"
    rf"(?P<day>{WEEKDAY_STEMS})\w*(?:\s+(?P<week>next|this)\s+week)?$",
    re.IGNORECASE,
)
_PART = r"(?P<part>end|beginning|start|middle|конц|начал|середин)"
_PERIOD = re.compile(
    rf"^(?:the\s+)?{_PART}\w*\s+(?:of\s+)?(?:(?P<which>the|this|next|этого|этой|текущего|текущей|следующего"
    r"|следующей|будущего|будущей)\s+)?(?P<period>week|month|quarter|year|недел|месяц|квартал|год)\w*$",
    re.IGNORECASE,
)
_MONTH_PART = re.compile(
    rf"^(?:the\s+)?{_PART}\w*\s+(?:of\s+)?(?P<month>{MONTH_STEMS})[a-zа-я]*\.?$",
    re.IGNORECASE,
)
# A month with a preposition and no day: "в октябре" / "in October" is by the month's end, "к октябрю" / "до
# октября" / "by October" by its start.
_MONTH_ONLY = re.compile(
    rf"^(?P<prep>in|by|until|till|before|в|во|к|ко|до)\s+(?P<month>{MONTH_STEMS})[a-zа-я]*\.?$",
    re.IGNORECASE,
)
_DAYS_AHEAD = {
    "today": 0, "tonight": 0, "tomorrow": 1, "day after tomorrow": 2, "the day after tomorrow": 2,
    "сегодня": 0, "завтра": 1, "послезавтра": 2,
}  # fmt: skip
_ORDINALS_EN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_ORDINALS_RU = {
    "перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8, "девят": 9,
    "десят": 10, "одиннадцат": 11, "двенадцат": 12, "тринадцат": 13, "четырнадцат": 14, "пятнадцат": 15,
    "шестнадцат": 16, "семнадцат": 17, "восемнадцат": 18, "девятнадцат": 19, "двадцат": 20, "тридцат": 30,
}  # fmt: skip
_ORDINAL_EN = re.compile(rf"\b(?:(?P<tens>twenty|thirty)[- ]?)?(?P<unit>{'|'.join(_ORDINALS_EN)})\b", re.IGNORECASE)
_ORDINAL_RU = re.compile(
    rf"(?<![а-яё])(?:(?P<tens>двадцать|тридцать)\s+)?(?P<unit>{'|'.join(_ORDINALS_RU)})(?:ого|ое|ье|ьего|его|ый|ий)"
    r"(?![а-яё])",
    re.IGNORECASE,
)
_PROBE_BASES = (datetime(2001, 1, 1), datetime(2013, 7, 15))
# A parse this far from the call is a misreading ("3/15" taken as the year 2115), not a plan.
_PLAUSIBLE_YEARS = 10


class NeedsCallDate(ValueError):
    """A date that needs the call's date to resolve, for a call whose date is unknown."""


def _ordinal_suffix(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _digits_for_ordinals(text: str) -> str:
    def english(match: re.Match[str]) -> str:
        day = _ORDINALS_EN[match["unit"].lower()] + {"twenty": 20, "thirty": 30}.get((match["tens"] or "").lower(), 0)
        return f"{day}{_ordinal_suffix(day)}"

    def russian(match: re.Match[str]) -> str:
        day = _ORDINALS_RU[match["unit"].lower()] + {"двадцать": 20, "тридцать": 30}.get(
            (match["tens"] or "").lower(), 0
        )
        return str(day)

    return _ORDINAL_RU.sub(russian, _ORDINAL_EN.sub(english, text))


def _period_bounds(period: str, today: date, ahead: int) -> tuple[date, date]:
    if period in {"week", "недел"}:
        first = today - timedelta(days=today.weekday()) + timedelta(weeks=ahead)
        return first, first + timedelta(days=4)
    if period in {"month", "месяц"}:
        index = today.year * 12 + today.month - 1 + ahead
        year, month = divmod(index, 12)
        return date(year, month + 1, 1), date(year, month + 1, monthrange(year, month + 1)[1])
    if period in {"quarter", "квартал"}:
        index = today.year * 4 + (today.month - 1) // 3 + ahead
        year, quarter = divmod(index, 4)
        last_month = quarter * 3 + 3
        return date(year, last_month - 2, 1), date(year, last_month, monthrange(year, last_month)[1])
    year = today.year + ahead
    return date(year, 1, 1), date(year, 12, 31)


def _part_of(part: str, first: date, last: date) -> date:
    part = part.lower()
    if part in {"end", "конц"}:
        return last
    if part in {"beginning", "start", "начал"}:
        return first
    if first.month == last.month and first.year == last.year:
        return first.replace(day=15)
    return first + (last - first) // 2


def _by_rule(text: str, today: date) -> date | None:
    lowered = text.lower().replace("ё", "е")
    if lowered in _DAYS_AHEAD:
        return today + timedelta(days=_DAYS_AHEAD[lowered])
    if match := _WEEKDAY.match(lowered):
        weekday = WEEKDAYS[match["day"]]
        which = (match["which"] or "").lower()
        if which.startswith(("next", "следующ", "будущ")) or match["week"] == "next":
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
            return monday + timedelta(days=weekday)
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    if match := _PERIOD.match(lowered):
        ahead = 1 if (match["which"] or "").startswith(("next", "следующ", "будущ")) else 0
        first, last = _period_bounds(match["period"], today, ahead)
        return _part_of(match["part"], first, last)
    if match := _MONTH_ONLY.match(lowered):
        month = MONTHS[match["month"]]
        year = today.year + (1 if month < today.month else 0)
        part = "конц" if match["prep"] in {"in", "в", "во"} else "начал"
        return _part_of(part, date(year, month, 1), date(year, month, monthrange(year, month)[1]))
    if match := _MONTH_PART.match(lowered):
        month = MONTHS[match["month"]]
        year = today.year + (1 if month < today.month else 0)
        first = date(year, month, 1)
        return _part_of(match["part"], first, date(year, month, monthrange(year, month)[1]))
    return None


def _parse(text: str, base: datetime, language: str | None) -> date | None:
    languages = ["ru", "en"] if language == "ru" or re.search(r"[а-яА-Я]", text) else ["en", "ru"]
    slash_order = "DMY" if languages[0] == "ru" else "MDY"
    settings = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "DMY" if "." in text else slash_order,
    }
    parsed = dateparser.parse(text, languages=languages, settings=settings)
    return parsed.date() if parsed else None


def _candidates(text: str) -> list[str]:
    spoken = _digits_for_ordinals(" ".join(text.split()))
    stripped = _LEADING.sub("", spoken)
    return [spoken, stripped] if stripped != spoken else [spoken]


def resolve_date(text: str, reference: datetime | None, language: str | None = None) -> date:
    """The calendar date `text` names, said on a call that started at `reference` (local time of the call).

    Raises NeedsCallDate for a relative date when `reference` is None, ValueError when `text` is no date.
    """
    candidates = _candidates(text)
    if reference is None:
        if any(_by_rule(candidate, _PROBE_BASES[0].date()) is not None for candidate in candidates):
            raise NeedsCallDate(f"'{text}' is relative and the call's date is unknown")
        for candidate in candidates:
            probes = {_parse(candidate, base, language) for base in _PROBE_BASES}
            if len(probes) > 1:
                raise NeedsCallDate(f"'{text}' is relative and the call's date is unknown")
            (probe,) = probes
            if probe is not None:
                return probe
        raise ValueError(f"'{text}' is not a date")
    base = reference.replace(tzinfo=None)
    for candidate in candidates:
        if (resolved := _by_rule(candidate, base.date())) is not None:
            return resolved
    for candidate in candidates:
        resolved = _parse(candidate, base, language)
        if resolved is not None and abs(resolved.year - base.year) <= _PLAUSIBLE_YEARS:
            return resolved
    raise ValueError(f"'{text}' is not a date")
