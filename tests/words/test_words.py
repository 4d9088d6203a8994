"""The shared words below the stages: numbers, money and dates as Russian and English speakers say them."""

from datetime import datetime

import pytest

from words.currency import currency_of
from words.dates import NeedsCallDate, resolve_date
from words.money import find_money, parse_money


def said(text: str) -> list[tuple[str, float | None, str | None, bool]]:
    return [(m.value, m.low, m.period, m.per_unit) for m in find_money(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("у нас есть триста двадцать пять тысяч", "325000"),
        ("в пределах четырёхсот пятидесяти тысяч", "450000"),
        ("где-то полтора ляма заложили", "1500000"),
        ("ну двести к максимум", "200000"),
        ("пол-ляма не больше", "500000"),
        ("два косаря", "2000"),
        ("больше полтинника не потянем", "50000"),
        ("тыща двести за интернет", "1200"),
        ("выходит миллион семьсот", "1700000"),
        ("два миллиона восемьсот девяносто", "2890000"),
        ("ну рублей семьсот пятьдесят", "750 RUB"),
        ("twenty-five thousand bucks", "25000 USD"),
    ],
)
def test_spoken_amounts(text, value):
    assert [m.value for m in find_money(text)] == [value]


def test_ranges_keep_both_ends_and_the_scale_said_once():
    assert said("где-то от шестидесяти до восьмидесяти тысяч в месяц") == [("80000", 60000.0, "month", False)]
    assert said("тысяч восемь — десять в месяц, не больше") == [("10000", 8000.0, "month", False)]
    assert said("тысяч четыреста может пятьсот") == [("500000", 400000.0, None, False)]
    assert said("somewhere between seven hundred and nine hundred a month") == [("900", 700.0, "month", False)]


def test_periods_and_unit_prices():
    assert said("полтора ляма заложено на год") == [("1500000", None, "year", False)]
    assert said("девятнадцать с половиной тысяч за участника") == [("19500", None, None, True)]
    assert said("the bootcamp is $9,800 per seat") == [("9800 USD", None, None, True)]


def test_numbers_that_are_not_money():
    assert find_money("восемь девятьсот шестнадцать 8-916-482-37-15") == []
    assert find_money("сорок тысяч камер") == []
    assert find_money("about 2,000 employees") == []
    assert find_money("четырнадцать пятнадцать человек") == []
    assert find_money("пришлю два к пятнице") == []


def test_typed_values_share_the_currency_words():
    assert parse_money("50 000 рублей") == "50000 RUB"
    assert parse_money("1.5 млн ₽") == "1500000 RUB"
    assert parse_money("$50k") == "50000 USD"
    assert currency_of("долларов") == "USD"
    with pytest.raises(ValueError):
        parse_money("some money")


def test_dates_resolve_against_the_call():
    friday = datetime(2026, 4, 17, 12)
    assert resolve_date("во вторник", friday).isoformat() == "2026-04-21"
    assert resolve_date("до конца месяца", friday).isoformat() == "2026-04-30"
    assert resolve_date("тридцатого апреля", friday).isoformat() == "2026-04-30"
    with pytest.raises(NeedsCallDate):
        resolve_date("next Tuesday", None)
