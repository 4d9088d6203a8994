"""Redacting a whole processed call for showing and publishing: transcript, turns, summary, scorecard, signals
and proposals, the settings that choose what is redacted, and the published event; the stored result stays raw."""

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
)
from pipeline.db import Call
from pipeline.events import call_processed
from pipeline.redaction import redactor_for, shown_analysis, shown_evidence, shown_result, shown_value
from pipeline.settings import Settings
from redaction.entities import PiiType
from redaction.redactor import Redactor
from redaction.result import redact_result
from tests.support.spoken_words import words_of

ALL = Redactor()


PHONE = "+7 916 123-45-67"


def _call_with_pii() -> CallResult:
    customer_words = words_of(f"мой телефон {PHONE} и почта ivan@mail.ru", 1.0)
    rep_words = words_of("Записал, спасибо", 0.0)
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
    read_back = rep.model_copy(update={"words": [*rep.words, *words_of("123-45-67, верно? В 2024 году", 0.9)]})
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
