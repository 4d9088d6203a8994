"""The text extractors behind rule-based fields: money, dates, phones and e-mails, in English and Russian."""

import pytest

from summarize.extract_contacts import answered_name, find_emails, find_identifiers, find_names, find_phones
from summarize.extract_dates import find_dates
from summarize.extract_money import find_money


@pytest.mark.parametrize(
    ("text", "quote", "value"),
    [
        ("Our budget is $50,000 per year.", "$50,000", "50000 USD"),
        ("maybe 50k dollars", "50k dollars", "50000 USD"),
        ("around fifty thousand dollars", "fifty thousand dollars", "50000 USD"),
        ("USD 1.5 million", "USD 1.5 million", "1500000 USD"),
        ("one and a half million", "one and a half million", "1500000"),
        ("three hundred and fifty dollars", "three hundred and fifty dollars", "350 USD"),
        ("twenty-five thousand bucks", "twenty-five thousand bucks", "25000 USD"),
        ("a hundred thousand euros", "a hundred thousand euros", "100000 EUR"),
        ("бюджет пятьдесят тысяч рублей", "пятьдесят тысяч рублей", "50000 RUB"),
        ("около пятидесяти тысяч долларов", "пятидесяти тысяч долларов", "50000 USD"),
        ("50 тыс. руб. в месяц", "50 тыс. руб.", "50000 RUB"),
        ("где-то 2 млн", "2 млн", "2000000"),
        ("полтора миллиона", "полтора миллиона", "1500000"),
        ("два с половиной ляма", "два с половиной ляма", "2500000"),
        ("1 500 000 рублей", "1 500 000 рублей", "1500000 RUB"),
        ("1,5 млн ₽", "1,5 млн ₽", "1500000 RUB"),
        ("не больше 500 тысяч", "500 тысяч", "500000"),
    ],
)
def test_money_amounts(text, quote, value):
    mentions = find_money(text)
    assert [(text[m.start : m.end], m.value, m.negated) for m in mentions] == [(quote, value, False)]


def test_money_near_misses():
    assert [(m.value, m.negated) for m in find_money("not $500, more like $700")] == [
        ("500 USD", True),
        ("700 USD", False),
    ]
    assert [m.value for m in find_money("не 500, а 700 тысяч")] == ["700000"]
    assert find_money("we have 200 employees since 2019") == []
    assert find_money("номер заказа 12345678") == []
    assert [m.negated for m in find_money("not more than $500")] == [False]


@pytest.mark.parametrize(
    ("text", "phrase", "relative"),
    [
        ("Let's talk next Tuesday.", "next Tuesday", True),
        ("We plan to sign by the end of next month", "by the end of next month", True),
        ("I'll call you tomorrow", "tomorrow", True),
        ("in two weeks would be fine", "in two weeks", True),
        ("the first of April", "the first of April", True),
        ("on March 15th, 2025 we launch", "on March 15th, 2025", False),
        ("Давайте созвонимся в следующий вторник.", "в следующий вторник", True),
        ("до конца месяца решим", "до конца месяца", True),
        ("подпишем 15 марта", "15 марта", True),
        ("пятнадцатого марта 2025 года", "пятнадцатого марта 2025 года", False),
        ("через две недели", "через две недели", True),
        ("на следующей неделе", "на следующей неделе", True),
        ("к пятнице пришлю", "к пятнице", True),
        ("в начале апреля", "в начале апреля", True),
        ("срок 15.03.2025", "15.03.2025", False),
    ],
)
def test_date_expressions(text, phrase, relative):
    assert [(m.phrase, m.relative, text[m.start : m.end]) for m in find_dates(text)] == [(phrase, relative, phrase)]


def test_date_near_misses():
    assert find_dates("May I ask about the 1.5 million figure?") == []
    assert find_dates("we have 15 managers and 3 offices") == []


def test_phones_in_russian_and_international_formats():
    text = "звоните +7 916 123-45-67 или 8 (495) 123 45 67"
    assert [m.value for m in find_phones(text, "ru")] == ["+79161234567", "+74951234567"]
    assert [m.value for m in find_phones("my cell is (415) 555-2671", "en")] == ["+14155552671"]


def test_numbers_that_are_not_phones():
    assert find_phones("номер заказа 89161234568", "ru") == []
    assert find_phones("invoice number 4155552671", "en") == []
    assert find_phones("we have 12345 users", "en") == []


def test_emails():
    mentions = find_emails("Write to Ivan.Petrov@Firma.ru. Or sales@acme.co.uk")
    assert [m.value for m in mentions] == ["ivan.petrov@firma.ru", "sales@acme.co.uk"]
    assert find_emails("meet me at 5 at the office") == []


def test_phones_in_us_grouping_and_order_ids():
    assert [m.value for m in find_phones("(977) 625-2661", "en")] == ["+19776252661"]
    assert find_phones("Order ID: 3348917502", "en") == []


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("hello this is harper valley national bank my name is elizabeth how can i help", "en", ["Elizabeth"]),
        ("hi my name is also robert robert jones um i need", "en", ["Robert Jones"]),
        ("yes hello this is uh robert jones i would like", "en", ["Robert Jones"]),
        ("Добрый день! Меня зовут Ольга, компания «Звонкий».", "ru", ["Ольга"]),
        ("I'm calling about my order", "en", []),
        ("hi my name is also michael but last name smith i'd like to", "en", ["Michael Smith"]),
        ("my name is anna and my last name is lee", "en", ["Anna Lee"]),
        ("Меня зовут Андрей, фамилия Петров.", "ru", ["Андрей Петров"]),
        ("меня зовут Андрей а фамилия у меня Петров", "ru", ["Андрей"]),
        ("my name is john how do i change my last name", "en", ["John"]),
    ],
)
def test_names_after_an_introduction(text, language, expected):
    best = {}
    for mention in find_names(text, language):
        best.setdefault(mention.confidence, []).append(mention.value)
    assert (best[max(best)] if best else []) == expected


def test_name_given_as_a_bare_reply():
    assert answered_name("sure, may I have your name please?", "Crystal Minh").value == "Crystal Minh"
    assert answered_name("how can I help you?", "Crystal Minh") is None
    assert answered_name("may I have your name please?", "I need to return an item") is None


def test_identifiers_keep_to_their_own_label():
    assert [m.value for m in find_identifiers("Order ID: 3348917502", ["order id"])] == ["3348917502"]
    assert find_identifiers("Username: cminh730", ["order id"]) == []
    assert [m.value for m in find_identifiers("Username: cminh730", ["username"])] == ["cminh730"]
    assert find_identifiers("cminh730@email.com and the year 2019", ["username"]) == []


def test_russian_amounts_with_the_scale_first():
    assert [m.value for m in find_money("Думаю, тысяч сто пятьдесят в год, не больше.")] == ["150000"]
    assert [m.value for m in find_money("около миллиона рублей в год")] == ["1000000 RUB"]
    assert find_money("тысячи клиентов") == []
    assert find_money("thousands of users") == []


def test_phones_dictated_digit_by_digit():
    dictated = "my phone number is five seven zero, four four eight, zero three seven four"
    assert [m.value for m in find_phones(dictated, "en")] == ["+15704480374"]
    said = "восемь девять один шесть один два три четыре пять шесть семь"
    assert [m.value for m in find_phones(said, "ru")] == ["+79161234567"]
    assert find_phones("I have one two three items", "en") == []
    assert find_phones("order number seven one five one three nine zero seven eight seven", "en") == []
