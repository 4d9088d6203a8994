"""PII redaction: each kind of personal data in Russian and English as speech recognition writes it, the
near-misses that must stay (amounts, dates, times, order numbers, failed check digits), word-level redaction
across words and turns, a whole processed call, and the settings that switch it."""

import pytest

from models import (
    Analysis,
    Answer,
    AudioInfo,
    CallInfo,
    CallResult,
    Conversation,
    ConversationMetrics,
    DealSignal,
    DecisionSource,
    Evidence,
    FieldProposal,
    ItemResult,
    Provenance,
    Role,
    RoleMetrics,
    Scorecard,
    SignalKind,
    SignalSeverity,
    Summary,
    SummarySection,
    Transcript,
    Utterance,
    Word,
)
from pipeline.db import Call
from pipeline.events import call_processed
from pipeline.redaction import redactor_for, shown_analysis, shown_evidence, shown_result, shown_value
from pipeline.settings import Settings
from summarize.redaction.checksums import inn_valid, luhn_valid, snils_valid
from summarize.redaction.entities import PiiType
from summarize.redaction.redactor import Redactor
from summarize.redaction.result import redact_conversation, redact_result, redact_transcript
from summarize.redaction.words import redact_word_sequences

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


def _word(text: str, start: float, channel: int = 0, probability: float = 0.9) -> Word:
    return Word(text=text, start=start, end=start + 0.4, probability=probability, channel=channel)


def _words(text: str, start: float = 0.0, channel: int = 0) -> list[Word]:
    return [_word(token, start + index * 0.5, channel) for index, token in enumerate(text.split())]


def test_a_number_over_several_words_becomes_one_word_with_consistent_times() -> None:
    words = _words("мой номер: +7 915 123 45 67, записали?")
    words[4] = _word("123", words[4].start, probability=0.4)
    (out,) = redact_word_sequences([words], ALL, "ru")
    assert [w.text for w in out] == ["мой", "номер:", "[PHONE],", "записали?"]
    phone = out[2]
    assert phone.start == words[2].start and phone.end == words[6].end and phone.probability == 0.4
    assert [w.start for w in out] == sorted(w.start for w in out)
    assert out[0] is words[0] and out[3] is words[7]


def test_an_empty_word_inside_a_number_goes_with_it() -> None:
    words = _words("звоните 8 916 123 45 67")
    words.insert(3, _word(" ", words[2].end))
    (out,) = redact_word_sequences([words], ALL, "ru")
    assert [w.text for w in out] == ["звоните", "[PHONE]"]


def test_text_glued_to_a_number_outside_it_is_kept() -> None:
    (out,) = redact_word_sequences([_words("звоните:+79161234567, спасибо")], ALL, "ru")
    assert [w.text for w in out] == ["звоните:[PHONE],", "спасибо"]


def test_a_number_split_across_turns_of_one_speaker_is_found_in_each() -> None:
    rep = Utterance(speaker="S0", role=Role.rep, start=0.0, end=1.0, words=_words("записываю"))
    first = Utterance(speaker="S1", role=Role.customer, start=1.0, end=3.0, words=_words("8 916 123", 1.0))
    ack = Utterance(speaker="S0", role=Role.rep, start=3.0, end=3.4, words=_words("ага", 3.0))
    second = Utterance(speaker="S1", role=Role.customer, start=3.5, end=4.5, words=_words("45 67 вот", 3.5))
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
    rep = _words("8 916 123", 0.0, channel=0)
    customer = _words("45 67", 0.2, channel=1)
    merged = sorted([*rep, *customer], key=lambda w: w.start)
    transcript = Transcript(language="ru", language_probability=1.0, duration_s=3.0, channels=2, words=merged)
    assert [w.text for w in redact_transcript(transcript, ALL).words] == [w.text for w in merged]

    said = _words("телефон +7 916 123 45 67", 0.05, channel=1)
    stereo = sorted([*rep, *said], key=lambda w: w.start)
    out = redact_transcript(transcript.model_copy(update={"words": stereo}), ALL).words
    assert [w.text for w in out if w.channel == 1] == ["телефон", "[PHONE]"]
    assert [w.text for w in out if w.channel == 0] == ["8", "916", "123"]
    assert [w.start for w in out] == sorted(w.start for w in out)


PHONE = "+7 916 123-45-67"


def _call_with_pii() -> CallResult:
    customer_words = _words(f"мой телефон {PHONE} и почта ivan@mail.ru", 1.0)
    rep_words = _words("Записал, спасибо", 0.0)
    quote = Evidence(quote=f"мой телефон {PHONE}", start=1.0, end=3.0, role=Role.customer)
    role = RoleMetrics(
        talk_time_s=1, talk_ratio=0.5, longest_monologue_s=1, interruptions=0, questions=0, words=3, speech_rate_wpm=1
    )
    return CallResult(
        id="c1",
        call=CallInfo(from_number="+7 495 000-00-00"),
        audio=AudioInfo(
            container="wav", codec="pcm", sample_rate=8000, channels=1, duration_s=6, size_bytes=1, sha256="0"
        ),
        transcript=Transcript(
            language="ru",
            language_probability=1.0,
            duration_s=6.0,
            channels=1,
            words=sorted([*rep_words, *customer_words], key=lambda w: w.start),
        ),
        conversation=Conversation(
            language="ru",
            duration_s=6.0,
            method="diarization",
            role_rule="test",
            roles={"S0": Role.rep, "S1": Role.customer},
            utterances=[
                Utterance(speaker="S0", role=Role.rep, start=0.0, end=0.9, words=rep_words),
                Utterance(speaker="S1", role=Role.customer, start=1.0, end=6.0, words=customer_words),
            ],
        ),
        analysis=Analysis(
            metrics=ConversationMetrics(duration_s=6, silence_share=0, overlap_s=0, rep=role, customer=role),
            summary=Summary(
                language="ru",
                text="Клиент оставил телефон 89161234567 и почту ivan@mail.ru.",
                key_points=["Карта клиента 4111 1111 1111 1111"],
                next_step="Перезвонить на +79161234567",
                evidence=[quote],
                source="llm",
                template_id="discovery",
                template_version="1",
                sections=[
                    SummarySection(
                        id="next_step", title="Следующий шаг", text="Звонок на 89161234567", evidence=[quote]
                    )
                ],
            ),
            scorecard=Scorecard(
                script_id="s",
                script_version="1",
                items=[
                    ItemResult(
                        item_id="contacts",
                        section_id="close",
                        title="Contacts taken",
                        answer=Answer.yes,
                        source=DecisionSource.phrases,
                        weight=1,
                        evidence=[quote, Evidence(metric="talk_ratio", value=0.5)],
                        note="ИНН 7707083893 назван",
                    )
                ],
                sections=[],
                score=1,
                max_score=1,
                percent=100,
                decided_share=1,
            ),
            proposals=[
                FieldProposal(field="phone", value="+79161234567", evidence=[quote], confidence=0.95, source="rule"),
                FieldProposal(field="email", value="ivan@mail.ru", confidence=0.95, source="rule"),
                FieldProposal(field="next_step", value="Позвонить на 8 916 123 45 67", confidence=0.6, source="llm"),
                FieldProposal(field="notes", value=["карта 4111 1111 1111 1111", "ok"], confidence=0.5, source="llm"),
                FieldProposal(field="budget", value=1500000.0, confidence=0.8, source="rule"),
            ],
            dropped_claims=0,
            signals=[
                DealSignal(
                    kind=SignalKind.question_unanswered,
                    severity=SignalSeverity.medium,
                    message="Вопрос клиента остался без ответа",
                    language="ru",
                    subject="Перезвоните на 8 916 123 45 67?",
                    evidence=[quote],
                    source=DecisionSource.rule,
                )
            ],
        ),
        provenance=Provenance(
            callintel_version="t",
            models=[],
            script_id="s",
            script_version="1",
            fields_id="default",
            fields_version="1",
            config_hash="0",
        ),
    )


def _texts(result: CallResult) -> list[str]:
    a = result.analysis
    quotes = [e.quote for e in a.summary.evidence + a.scorecard.items[0].evidence if e.quote]
    quotes += [e.quote for p in a.proposals for e in p.evidence if e.quote]
    quotes += [e.quote for signal in a.signals for e in signal.evidence if e.quote]
    return [
        result.transcript.text,
        *(u.text for u in result.conversation.utterances),
        a.summary.text,
        *a.summary.key_points,
        a.summary.next_step or "",
        *(section.text or "" for section in a.summary.sections),
        *(e.quote or "" for section in a.summary.sections for e in section.evidence),
        a.scorecard.items[0].note,
        *(signal.subject or "" for signal in a.signals),
        *quotes,
    ]


def test_a_whole_call_is_redacted_and_the_raw_result_is_left_as_it_was() -> None:
    raw = _call_with_pii()
    before = raw.model_dump()
    shown = redact_result(raw, ALL)
    assert raw.model_dump() == before
    for text in _texts(shown):
        for leaked in ("916", "ivan@", "4111", "7707083893"):
            assert leaked not in text, text
    assert shown.transcript.text == "Записал, спасибо мой телефон [PHONE] и почта [EMAIL]"
    assert shown.conversation.utterances[1].text == "мой телефон [PHONE] и почта [EMAIL]"
    assert shown.analysis.summary.text == "Клиент оставил телефон [PHONE] и почту [EMAIL]."
    assert shown.analysis.summary.key_points == ["Карта клиента [CARD]"]
    assert shown.analysis.summary.next_step == "Перезвонить на [PHONE]"
    assert shown.analysis.summary.evidence[0].quote == "мой телефон [PHONE]"
    assert shown.analysis.scorecard.items[0].evidence[0].quote == "мой телефон [PHONE]"
    assert shown.analysis.scorecard.items[0].evidence[1].value == 0.5
    assert shown.analysis.scorecard.items[0].note == "ИНН [INN] назван"
    values = {p.field: p.value for p in shown.analysis.proposals}
    assert values["phone"] == "+79161234567" and values["email"] == "ivan@mail.ru"
    assert values["next_step"] == "Позвонить на [PHONE]"
    assert values["notes"] == ["карта [CARD]", "ok"] and values["budget"] == 1500000.0
    assert shown.analysis.proposals[0].evidence[0].quote == "мой телефон [PHONE]"
    assert shown.analysis.summary.sections[0].text == "Звонок на [PHONE]"
    assert shown.analysis.signals[0].subject == "Перезвоните на [PHONE]?"
    assert shown.analysis.signals[0].evidence[0].quote == "мой телефон [PHONE]"
    assert shown.call.from_number == "+7 495 000-00-00"
    phone_word = next(w for w in shown.transcript.words if w.text == "[PHONE]")
    raw_digits = [w for w in raw.transcript.words if w.text in {"+7", "123-45-67"}]
    assert (phone_word.start, phone_word.end) == (raw_digits[0].start, raw_digits[1].end)


def test_parts_of_numbers_said_on_the_call_are_redacted_in_quotes_and_read_backs() -> None:
    raw = _call_with_pii()
    rep = raw.conversation.utterances[0]
    read_back = rep.model_copy(update={"words": [*rep.words, *_words("123-45-67, верно? В 2024 году", 0.9)]})
    cut = Evidence(quote="мой телефон +7 916", start=1.0, end=2.0, role=Role.customer)
    summary = raw.analysis.summary.model_copy(update={"evidence": [cut], "text": "Оставил номер, окончание 4567."})
    call = raw.model_copy(
        update={
            "conversation": raw.conversation.model_copy(
                update={"utterances": [read_back, *raw.conversation.utterances[1:]]}
            ),
            "analysis": raw.analysis.model_copy(update={"summary": summary}),
        }
    )
    shown = redact_result(call, ALL)
    assert shown.conversation.utterances[0].text == "Записал, спасибо [PHONE], верно? В 2024 году"
    assert shown.analysis.summary.evidence[0].quote == "мой телефон [PHONE]"
    assert shown.analysis.summary.text == "Оставил номер, окончание [PHONE]."
    assert redact_result(raw, ALL).analysis.summary.key_points == ["Карта клиента [CARD]"]


def test_proposed_contacts_can_be_redacted_too() -> None:
    shown = redact_result(_call_with_pii(), Redactor(keep_proposed_contacts=False))
    values = {p.field: p.value for p in shown.analysis.proposals}
    assert values["phone"] == "[PHONE]" and values["email"] == "[EMAIL]"


def test_settings_choose_what_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _call_with_pii()
    assert shown_result(raw, Settings(redact_pii=False)) is raw
    assert redactor_for(Settings()) == Redactor(frozenset(PiiType), keep_proposed_contacts=True)
    monkeypatch.setenv("CALLINTEL_REDACT_ENTITIES", '["email"]')
    monkeypatch.setenv("CALLINTEL_REDACT_PROPOSED_CONTACTS", "true")
    settings = Settings()
    assert settings.redact_entities == [PiiType.email]
    shown = shown_result(raw, settings)
    assert shown.analysis.summary.text == "Клиент оставил телефон 89161234567 и почту [EMAIL]."
    assert shown_value("ivan@mail.ru", redactor_for(settings, raw.call), "ru") == "[EMAIL]"
    assert shown_value("+79161234567", redactor_for(settings, raw.call), "ru") == "+79161234567"
    quote = [Evidence(quote="почта ivan@mail.ru")]
    assert shown_evidence(quote, redactor_for(settings, raw.call), "ru")[0].quote == "почта [EMAIL]"
    monkeypatch.setenv("CALLINTEL_REDACT_ENTITIES", '["social"]')
    with pytest.raises(ValueError, match="redact_entities"):
        Settings()


def test_the_published_call_processed_payload_is_redacted() -> None:
    raw = _call_with_pii()
    row = Call(id="c1", external_id="pbx-1", provider="upload")
    payload = call_processed(row, shown_analysis(raw.analysis, raw.call, "ru", Settings()), "ru", 6.0)
    assert payload.summary == "Клиент оставил телефон [PHONE] и почту [EMAIL]."
    assert payload.next_step == "Перезвонить на [PHONE]"
    values = {p.field: p.value for p in payload.proposals}
    assert values["phone"] == "+79161234567" and values["next_step"] == "Позвонить на [PHONE]"
    unredacted = call_processed(
        row, shown_analysis(raw.analysis, raw.call, "ru", Settings(redact_pii=False)), "ru", 6.0
    )
    assert unredacted.summary == raw.analysis.summary.text
