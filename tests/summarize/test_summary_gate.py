"""The summary gate: for each rule, a summary of a real short conversation that passes and one that fails."""

import logging

import pytest

from crm_fill.schema import builtin_field_schema
from diarize.transcript_file import read_transcript
from models import CallInfo
from scoring_scripts.loader import default_script_for
from summarize.core import analyze
from summarize.summary_gate import MAX_CHARS, check_summary
from tests.summarize.test_analyze import FixedAnswerLLM

RU_CALL = read_transcript(
    """
менеджер: Добрый день, это Ольга из ТехноСофт. Удобно говорить?
клиент: Здравствуйте, да. Мы теряем заявки, нужна CRM на двадцать менеджеров.
менеджер: Тариф на двадцать менеджеров стоит сто пятьдесят тысяч рублей в год.
клиент: Наш бюджет 120 000 рублей.
менеджер: Понимаю. Пришлю вам предложение в пятницу.
клиент: Хорошо, жду.
"""
)
EN_CALL = read_transcript(
    """
rep: Hi, this is Emma from Brightline. Is now a good time?
customer: Yes. We lose leads every week and need a tool for our 12 reps.
rep: The team plan for twelve reps is fifteen hundred dollars a month.
customer: Our budget is about a thousand dollars a month.
rep: I'll send you a proposal on Friday.
customer: Sounds good.
"""
)
RU_GOOD = (
    "Ольга из ТехноСофт предложила тариф на двадцать менеджеров. Клиент теряет заявки, ждёт предложение в пятницу."
)
EN_GOOD = "Emma from Brightline pitched the team plan to a customer who loses leads; a proposal follows on Friday."


def _rule(texts: list[str], conversation=RU_CALL, language: str = "ru") -> str | None:
    return check_summary(texts, conversation, language).rule


@pytest.mark.parametrize(("text", "conversation", "language"), [(RU_GOOD, RU_CALL, "ru"), (EN_GOOD, EN_CALL, "en")])
def test_a_faithful_summary_passes_every_rule(text, conversation, language) -> None:
    verdict = check_summary([text], conversation, language)
    assert verdict.passed and verdict.reason is None


def test_length_is_bounded_both_ways() -> None:
    assert _rule(["Звонок клиента."]) == "too_short"
    assert _rule(["1000 words"], EN_CALL, "en") == "too_short"
    long = " ".join(f"Клиент теряет заявки, пункт {n}." for n in range(MAX_CHARS // 20))
    assert _rule([long]) == "too_long"
    assert _rule([RU_GOOD, "Бюджет клиента 120 000 рублей.", "Предложение в пятницу."]) is None


def test_a_repetition_loop_is_refused() -> None:
    loop = "Клиенту нужна CRM на двадцать менеджеров, двадцать менеджеров, двадцать менеджеров, двадцать менеджеров."
    assert _rule([loop]) == "repetition"
    looping_points = [EN_GOOD, "12 reps need a tool", "12 reps need a tool", "12 reps need a tool"]
    assert check_summary(looping_points, EN_CALL, "en").reason == "repetition: '12 reps need' repeated"
    assert _rule(["Клиенту нужна CRM на двадцать менеджеров; тариф на двадцать менеджеров дороже бюджета."]) is None


def test_a_summary_in_another_language_is_refused() -> None:
    assert _rule([EN_GOOD.replace("Emma from Brightline", "Olga")]) == "language"
    assert _rule(["Клиенту нужна CRM для отдела продаж, бюджет меньше тарифа."]) is None


def test_numbers_are_compared_as_values_however_written() -> None:
    for written in ("150 000", "150000", "150 тыс.", "сто пятьдесят тысяч"):
        assert _rule([f"Тариф на двадцать менеджеров стоит {written} рублей в год."]) is None, written
    assert _rule(["Клиент назвал свой бюджет сто двадцать тысяч рублей."]) is None
    verdict = check_summary(["Тариф на двадцать менеджеров стоит 200 000 рублей в год."], RU_CALL, "ru")
    assert verdict.reason == "number_not_in_call: 200000"
    assert _rule(["The customer has 1000 customers and 5000 leads a month."], EN_CALL, "en") == "number_not_in_call"
    assert _rule(["A tool for 12 reps costs fifteen hundred dollars a month."], EN_CALL, "en") is None


def test_every_proper_name_is_said_on_the_call() -> None:
    assert check_summary(["Тариф клиенту предложила Ирина из ТехноСофт."], RU_CALL, "ru").reason == (
        "name_not_in_call: Ирина"
    )
    assert _rule(["The customer heard from Emma at Salesforce about leads."], EN_CALL, "en") == "name_not_in_call"
    # Names are compared as lemmas: "Ольги" is Ольга's.
    assert _rule(["Клиент выслушал предложение Ольги из ТехноСофт."]) is None


def test_a_number_is_attributed_to_the_side_that_said_it() -> None:
    swapped = check_summary(["Клиент предложил тариф за 150 000 рублей в год."], RU_CALL, "ru")
    assert swapped.reason == "wrong_side: 150000 attributed to the customer, who did not say it"
    assert _rule(["Менеджер предложил тариф за 150 000 рублей в год."]) is None
    assert _rule(["Клиент назвал свой бюджет 120 000 рублей."]) is None
    assert _rule(["The customer offered fifteen hundred dollars a month for the plan."], EN_CALL, "en") == "wrong_side"
    assert _rule(["The rep quoted fifteen hundred dollars a month for the plan."], EN_CALL, "en") is None


def test_a_refused_llm_summary_leaves_the_card_and_the_reason_is_kept_and_logged(caplog) -> None:
    fields = builtin_field_schema()
    answer = {"text": "Клиент предложил тариф за 150 000 рублей в год.", "key_points": [], "next_step": None}
    llm = FixedAnswerLLM({"summary": answer, "items": {}, "fields": {}})
    with caplog.at_level(logging.INFO, logger="summarize.summary"):
        analysis = analyze(RU_CALL, default_script_for("ru"), fields, CallInfo(call_id="c-17"), llm)
    summary = analysis.summary
    assert summary.source == "extractive" and summary.text != answer["text"]
    assert summary.llm_rejected_reason == "wrong_side: 150000 attributed to the customer, who did not say it"
    assert "c-17" in caplog.text and "wrong_side" in caplog.text

    answer = {"text": RU_GOOD, "key_points": ["Бюджет 120 000 рублей"], "next_step": "Предложение в пятницу"}
    llm = FixedAnswerLLM({"summary": answer, "items": {}, "fields": {}})
    analysis = analyze(RU_CALL, default_script_for("ru"), fields, CallInfo(call_id="c-18"), llm)
    assert analysis.summary.source == "llm" and analysis.summary.text == RU_GOOD
    assert analysis.summary.llm_rejected_reason is None and analysis.summary.card is not None
