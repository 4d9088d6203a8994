"""Weekday and month words, English and Russian: the stems that name them and regular-expression alternations
that find them in any inflected form ("во вторник", "пятницы", "15 марта", "Sept.")."""

WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "понедельник": 0, "вторник": 1, "сред": 2, "четверг": 3, "пятниц": 4, "суббот": 5, "воскресень": 6,
}  # fmt: skip
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11,
    "dec": 12, "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}  # fmt: skip

WEEKDAY_EN = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
WEEKDAY_RU = r"понедельник\w*|вторник\w*|сред[аеуы]|четверг\w*|пятниц[аеуы]|суббот[аеуы]|воскресень[еяю]"
MONTH_EN = (
    r"january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan\.?|feb\.?|mar\.?|apr\.?|jun\.?|jul\.?|aug\.?|sept?\.?|oct\.?|nov\.?|dec\.?"
)
MONTH_RU = (
    r"январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[ае]?|сентябр[ьяе]|октябр[ьяе]"
    r"|ноябр[ьяе]|декабр[ьяе]"
)
# Stems only, for a resolver that matches the start of a word.
WEEKDAY_STEMS = "|".join(WEEKDAYS)
MONTH_STEMS = "|".join(MONTHS)
