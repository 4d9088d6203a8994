"""PII redaction: each kind of personal data in Russian and English as speech recognition writes it, the
near-misses that must stay (amounts, dates, times, order numbers, failed check digits), and word-level redaction
across words and turns (a whole call: test_redaction_calls.py)."""

import pytest

from models import (
    CallInfo,
    Conversation,
    Role,
    Transcript,
    Utterance,
)
from redaction.checksums import inn_valid, luhn_valid, snils_valid
from redaction.entities import PiiType
from redaction.redactor import Redactor
from redaction.result import redact_conversation, redact_transcript
from redaction.words import redact_word_sequences
from tests.support.spoken_words import word, words_of

ALL = Redactor()


def redacted(text: str, language: str = "ru", redactor: Redactor = ALL) -> str:
    return redactor.text(text, language)


def kinds(text: str, language: str = "ru") -> list[str]:
    return [span.type.value for span in ALL.find(text, language)]


@pytest.mark.parametrize(
    ("said", "language", "expected"),
    [
        ("мой номер +7 (915) 123-45-67, записали?", "ru", "мой номер [PHONE], записали?"),
        ("звоните на 8 916 123 45 67 после обеда", "ru", "звоните на [PHONE] после обеда"),
        ("8-800-555-35-35", "ru", "[PHONE]"),
        ("+79161234567", "ru", "[PHONE]"),
        (
            "записывайте восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
            "ru",
            "записывайте [PHONE]",
        ),
        ("плюс семь девятьсот пятнадцать сто двадцать три сорок пять шестьдесят семь", "ru", "[PHONE]"),
        ("call me at 415-555-2671 tomorrow", "en", "call me at [PHONE] tomorrow"),
        ("our London office is +44 20 7946 0958.", "en", "our London office is [PHONE]."),
        ("it's four one five, five five five, two six seven one", "en", "it's [PHONE]"),
        ("my Moscow number is 8 916 123 45 67", "en", "my Moscow number is [PHONE]"),
    ],
)
def test_phone_numbers_are_redacted(said: str, language: str, expected: str) -> None:
    assert redacted(said, language) == expected


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("бюджет 1 500 000 рублей в год", "ru"),
        ("we can spend $25,000 this quarter", "en"),
        ("встреча 12.05.2024 в 15:30", "ru"),
        ("в 2024 году нам нужно 150 лицензий", "ru"),
        ("номер заказа 9161234567", "ru"),
        ("order 4155552671 shipped", "en"),
        ("we run version 2.3.1 on 120 seats", "en"),
        ("1234567890", "ru"),
        ("звоните с 9 до 18, добавочный 204", "ru"),
    ],
)
def test_phone_near_misses_stay(said: str, language: str) -> None:
    assert redacted(said, language) == said


@pytest.mark.parametrize(
    ("said", "language", "expected"),
    [
        ("пишите на Ivan.Petrov@mail.ru, жду", "ru", "пишите на [EMAIL], жду"),
        ("sales_team@acme-corp.co.uk", "en", "[EMAIL]"),
        ("my email is ivan dot petrov at gmail dot com okay", "en", "my email is [EMAIL] okay"),
        ("John underscore smith at outlook dot com", "en", "[EMAIL]"),
        ("почта иван собака mail точка ru", "ru", "почта [EMAIL]"),
        ("иван собака мейл точка ру, записали", "ru", "[EMAIL], записали"),
        ("ivan at mail.ru", "ru", "[EMAIL]"),
    ],
)
def test_emails_are_redacted(said: str, language: str, expected: str) -> None:
    assert redacted(said, language) == expected


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("look at google dot com for the details", "en"),
        ("we met at yandex dot ru last year", "en"),
        ("let's talk at five, I'm at home", "en"),
        ("у меня собака дома, точка", "ru"),
        ("версия 2.0 вышла, сайт mail.ru работает", "ru"),
    ],
)
def test_email_near_misses_stay(said: str, language: str) -> None:
    assert redacted(said, language) == said


@pytest.mark.parametrize(
    ("said", "language", "expected"),
    [
        ("карта 4111 1111 1111 1111, срок до марта", "ru", "карта [CARD], срок до марта"),
        ("номер карты 2200700123456781", "ru", "номер карты [CARD]"),
        ("card 5500-0000-0000-0004 please", "en", "card [CARD] please"),
        ("amex 3782 822463 10005", "en", "amex [CARD]"),
        (
            "сорок один одиннадцать одиннадцать одиннадцать одиннадцать одиннадцать одиннадцать одиннадцать",
            "ru",
            "[CARD]",
        ),
    ],
)
def test_card_numbers_are_redacted(said: str, language: str, expected: str) -> None:
    assert redacted(said, language) == expected


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("order number 4111 1111 1111 1112", "en"),  # fails Luhn
        ("заказ 1234 5678 9012 3456", "ru"),  # fails Luhn
        ("оплатили 4 111 111 рублей", "ru"),
    ],
)
def test_card_near_misses_stay(said: str, language: str) -> None:
    assert redacted(said, language) == said


@pytest.mark.parametrize(
    ("said", "language", "expected"),
    [
        ("паспорт 45 06 123456, выдан в Москве", "ru", "паспорт [PASSPORT], выдан в Москве"),
        ("серия 4506 номер 123456", "ru", "серия [PASSPORT]"),
        (
            "паспорт серия сорок пять ноль шесть номер сто двадцать три четыреста пятьдесят шесть",
            "ru",
            "паспорт серия [PASSPORT]",
        ),
        ("passport number 4506 123456", "en", "passport number [PASSPORT]"),
    ],
)
def test_passport_numbers_are_redacted(said: str, language: str, expected: str) -> None:
    assert redacted(said, language) == expected


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("артикул 4506 123456", "ru"),  # a passport's layout but no passport word
        ("мы купили 4506 123456 штук", "ru"),
        ("паспорт сделки версии 2.0 от 12.05.2024", "ru"),
        ("passport photos cost 1500 rubles", "en"),
    ],
)
def test_passport_near_misses_stay(said: str, language: str) -> None:
    assert redacted(said, language) == said


@pytest.mark.parametrize(
    ("said", "language", "expected"),
    [
        ("СНИЛС 112-233-445 95", "ru", "СНИЛС [SNILS]"),
        ("номер 112-233-445 95", "ru", "номер [SNILS]"),
        ("снилс сто двенадцать двести тридцать три четыреста сорок пять девяносто пять", "ru", "снилс [SNILS]"),
        ("my SNILS is 11223344595", "en", "my SNILS is [SNILS]"),
    ],
)
def test_snils_numbers_are_redacted(said: str, language: str, expected: str) -> None:
    assert redacted(said, language) == expected


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("СНИЛС 112-233-445 96", "ru"),  # wrong check sum
        ("накладная 123-456-789 00", "ru"),
    ],
)
def test_snils_near_misses_stay(said: str, language: str) -> None:
    assert redacted(said, language) == said


@pytest.mark.parametrize(
    ("said", "language", "expected"),
    [
        ("ИНН 7707083893", "ru", "ИНН [INN]"),
        ("наш инн 7707083893, КПП отдельно", "ru", "наш инн [INN], КПП отдельно"),
        ("INN 500100732259", "en", "INN [INN]"),
        ("реквизиты: 500100732259", "ru", "реквизиты: [INN]"),
        ("ИНН семь семь ноль семь ноль восемь три восемь девять три", "ru", "ИНН [INN]"),
    ],
)
def test_inn_numbers_are_redacted(said: str, language: str, expected: str) -> None:
    assert redacted(said, language) == expected


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ("ИНН 7707083894", "ru"),  # wrong check digit
        ("номер договора 7707083894", "ru"),
        ("INN 500100732258", "en"),
        ("отгрузили 1234567890 единиц", "ru"),
    ],
)
def test_inn_near_misses_stay(said: str, language: str) -> None:
    assert redacted(said, language) == said


def test_a_phone_said_after_a_phone_word_is_redacted_even_with_a_digit_lost() -> None:
    # Recognition drops digits of fast-read numbers; what is left still identifies the customer.
    assert redacted("my phone number is uh 3 4 2 4 7 1 5 6 4 yes", "en") == "my phone number is uh [PHONE] yes"
    assert redacted("мобильный девятьсот шестнадцать сто двадцать три сорок пять") == "мобильный [PHONE]"
    assert redacted("my phone has 256 gigabytes", "en") == "my phone has 256 gigabytes"
    assert redacted("order ID: 3348917502", "en") == "order ID: 3348917502"


def test_numbers_without_a_country_code_are_read_in_the_calls_country() -> None:
    said = "call the front desk on 01223 247942"
    assert redacted(said, "en") == said
    british = ALL.for_call(CallInfo(from_number="+44 20 7946 0958"))
    assert british.region == "GB"
    assert redacted(said, "en", british) == "call the front desk on [PHONE]"


def test_check_digits() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert snils_valid("11223344595") and not snils_valid("11223344596")
    assert not snils_valid("00100100000")  # below the numbers check sums apply to
    assert inn_valid("7707083893") and inn_valid("500100732259")
    assert not inn_valid("7707083894") and not inn_valid("500100732258") and not inn_valid("12345")


def test_several_kinds_in_one_sentence_and_a_number_ending_in_a_quantity() -> None:
    said = "ИНН 7707083893, телефон 8 916 123 45 67 10 штук, почта a.b@firma.ru"
    assert kinds(said) == ["inn", "phone", "email"]
    assert redacted(said) == "ИНН [INN], телефон [PHONE] 10 штук, почта [EMAIL]"


def test_only_the_configured_kinds_are_redacted() -> None:
    said = "телефон +7 916 123-45-67, почта ivan@mail.ru, карта 4111 1111 1111 1111"
    emails_only = Redactor(frozenset({PiiType.email}))
    assert redacted(said, redactor=emails_only) == "телефон +7 916 123-45-67, почта [EMAIL], карта 4111 1111 1111 1111"


def test_a_number_over_several_words_becomes_one_word_with_consistent_times() -> None:
    words = words_of("мой номер: +7 915 123 45 67, записали?")
    words[4] = word("123", words[4].start, probability=0.4)
    (out,) = redact_word_sequences([words], ALL, "ru")
    assert [w.text for w in out] == ["мой", "номер:", "[PHONE],", "записали?"]
    phone = out[2]
    assert phone.start == words[2].start and phone.end == words[6].end and phone.probability == 0.4
    assert [w.start for w in out] == sorted(w.start for w in out)
    assert out[0] is words[0] and out[3] is words[7]


def test_an_empty_word_inside_a_number_goes_with_it() -> None:
    words = words_of("звоните 8 916 123 45 67")
    words.insert(3, word(" ", words[2].end))
    (out,) = redact_word_sequences([words], ALL, "ru")
    assert [w.text for w in out] == ["звоните", "[PHONE]"]


def test_text_glued_to_a_number_outside_it_is_kept() -> None:
    (out,) = redact_word_sequences([words_of("звоните:+79161234567, спасибо")], ALL, "ru")
    assert [w.text for w in out] == ["звоните:[PHONE],", "спасибо"]


def test_a_number_split_across_turns_of_one_speaker_is_found_in_each() -> None:
    rep = Utterance(speaker="S0", role=Role.rep, start=0.0, end=1.0, words=words_of("записываю"))
    first = Utterance(speaker="S1", role=Role.customer, start=1.0, end=3.0, words=words_of("8 916 123", 1.0))
    ack = Utterance(speaker="S0", role=Role.rep, start=3.0, end=3.4, words=words_of("ага", 3.0))
    second = Utterance(speaker="S1", role=Role.customer, start=3.5, end=4.5, words=words_of("45 67 вот", 3.5))
    conversation = Conversation(
        language="ru",
        duration_s=5.0,
        method="diarization",
        role_rule="test",
        roles={"S0": Role.rep, "S1": Role.customer},
        utterances=[rep, first, ack, second],
    )
    out = redact_conversation(conversation, ALL)
    assert [u.text for u in out.utterances] == ["записываю", "[PHONE]", "ага", "[PHONE] вот"]
    assert out.utterances[1].words[0].start == 1.0 and out.utterances[3].words[0].end == second.words[1].end
    assert conversation.utterances[1].text == "8 916 123"


def test_words_of_two_channels_never_make_one_number() -> None:
    rep = words_of("8 916 123", 0.0, channel=0)
    customer = words_of("45 67", 0.2, channel=1)
    merged = sorted([*rep, *customer], key=lambda w: w.start)
    transcript = Transcript(language="ru", language_probability=1.0, duration_s=3.0, channels=2, words=merged)
    assert [w.text for w in redact_transcript(transcript, ALL).words] == [w.text for w in merged]

    said = words_of("телефон +7 916 123 45 67", 0.05, channel=1)
    stereo = sorted([*rep, *said], key=lambda w: w.start)
    out = redact_transcript(transcript.model_copy(update={"words": stereo}), ALL).words
    assert [w.text for w in out if w.channel == 1] == ["телефон", "[PHONE]"]
    assert [w.text for w in out if w.channel == 0] == ["8", "916", "123"]
    assert [w.start for w in out] == sorted(w.start for w in out)
