"""Date expressions in what was said, in English and Russian, kept verbatim for crm_fill to resolve.

Recognised: today / tomorrow / the day after tomorrow; weekdays with or without next/this ("next Tuesday",
"в следующий вторник", "до пятницы"); the end, beginning or middle of a week, month, quarter, year or named month
("end of next month", "до конца месяца", "в начале апреля"); next/this week, month, quarter, year ("на следующей
неделе"); "in two weeks" / "через 3 дня"; day and month with an optional year, in digits or ordinal words
("March 15th", "the first of April", "15 марта", "пятнадцатого марта 2025 года"); numeric dates with a year
("15.03.2025", "2025-03-15") and day/month with a slash ("3/15").
A mention is `relative` when it needs the call's date to resolve: every one that names no year.
"""

import re
from dataclasses import dataclass

from words.calendar import MONTH_EN, MONTH_RU, WEEKDAY_EN, WEEKDAY_RU

_ORDINALS_EN = (
    r"(?:twenty|thirty)?[- ]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|eleventh|twelfth"
    r"|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth"
)
_DAY_EN = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINALS_EN})"
_PERIOD_EN = r"week|month|quarter|year"
_COUNT_EN = r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|couple of"

_ORDINALS_RU = (
    r"(?:(?:двадцать|тридцать)\s+)?(?:перв|втор|трет|четверт|пят|шест|седьм|восьм|девят|десят|одиннадцат"
    r"|двенадцат|тринадцат|четырнадцат|пятнадцат|шестнадцат|семнадцат|восемнадцат|девятнадцат|двадцат|тридцат)"
    r"(?:ого|ое|ье|ьего|его|ый|ий|ье)"
)
_DAY_RU = rf"(?:\d{{1,2}}|{_ORDINALS_RU})"
_PERIOD_RU = r"недел[ьиюе]|месяц[ае]?|квартал[ае]?|год[ау]?"
_COUNT_RU = r"\d+|один|одну|два|две|три|четыре|пять|шесть|семь|восемь|девять|десять|пару"
_THIS_NEXT_RU = r"этого|этой|этот|эту|текущего|текущей|следующего|следующей|будущего|будущей"

_PATTERNS = [
    r"(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|tonight",
    rf"(?:(?:on|by|until|till|before)\s+)?(?:(?:next|this|coming)\s+)?(?:{WEEKDAY_EN})(?:\s+(?:next|this)\s+week)?",
    rf"(?:(?:by|until|till|before)\s+)?(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+"
    rf"(?:(?:(?:the|this|next)\s+)?(?:{_PERIOD_EN})|{MONTH_EN})",
    rf"(?:next|this)\s+(?:{_PERIOD_EN})",
    rf"in\s+(?:{_COUNT_EN})\s+(?:days?|weeks?|months?)",
    rf"(?:(?:on|by|until|till|before)\s+)?(?:{MONTH_EN})\s+(?:the\s+)?{_DAY_EN}(?:,?\s+\d{{4}})?\b",
    rf"(?:(?:on|by|until|till|before)\s+)?(?:the\s+)?{_DAY_EN}\s+(?:of\s+)?(?:{MONTH_EN})(?:,?\s+\d{{4}})?\b",
    r"послезавтра|завтра|сегодня",
    rf"(?:(?:в|во|к|ко|до)\s+)?(?:(?:следующ\w*|этот|эту|это|ближайш\w*|будущ\w*)\s+)?(?:{WEEKDAY_RU})",
    rf"(?:(?:в|до|к|ко)\s+)?(?:конц[аеу]|начал[аеу]|середин[аеуы])\s+"
    rf"(?:(?:(?:{_THIS_NEXT_RU})\s+)?(?:{_PERIOD_RU})|{MONTH_RU})",
    r"(?:на|в|во)\s+(?:следующей|этой|будущей)\s+неделе|в\s+(?:следующем|этом|будущем)\s+(?:месяце|квартале|году)",
    rf"через\s+(?:(?:{_COUNT_RU})\s+)?(?:день|дня|дней|недел[юиь]|месяц\w*)",
    rf"(?:(?:до|к|ко)\s+)?{_DAY_RU}\s+(?:{MONTH_RU})(?:\s+\d{{4}}(?:\s+(?:года|г\.?))?)?",
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
]
_DATE_EXPRESSION = re.compile("|".join(rf"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_YEAR = re.compile(r"\b\d{4}\b")


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    phrase: str
    relative: bool


def find_dates(text: str) -> list[DateMention]:
    """Every date expression in `text`, longest first where two could start at the same place."""
    mentions = []
    for match in _DATE_EXPRESSION.finditer(text):
        if not _whole_words(text, match.start(), match.end()):
            continue
        phrase = match.group().strip()
        mentions.append(DateMention(match.start(), match.end(), phrase, not _YEAR.search(phrase)))
    return mentions


def _whole_words(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()
