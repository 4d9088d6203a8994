"""Deal-gap signals on written dialogues (not recordings), Russian and English: next step, its date, budget, and the
result contract; each signal firing, and the near miss that must not fire (turn rules: test_signals_turns.py). One
test gives the analyze stage a prepared LLM answer (test_analyze.FixedAnswerLLM) to show a signal resting on the
LLM's decision."""

from rich.console import Console

from models import (
    Analysis,
    CallInfo,
    DealSignal,
    DecisionSource,
    Evidence,
    FieldProposal,
    Role,
    SignalKind,
    SignalSeverity,
    Utterance,
)
from pipeline.render import render_signals
from scoring_scripts.loader import default_script_for
from summarize.core import analyze
from summarize.field_rules import extract_fields
from summarize.signals import detect_signals
from tests.summarize.test_analyze import FixedAnswerLLM
from tests.summarize.test_analyze_dialogues import CUSTOMER, EN_DISCOVERY_LINES, REP, RU_DISCOVERY_LINES, dialogue
from tests.support.signal_calls import (
    EN_OPENING,
    FIELDS,
    RU_OPENING,
    assert_quotes_from,
    closing_lines,
    exchange,
    kinds,
    of_kind,
    signals_of,
)

RU_GAPS = [
    (REP, "Добрый день, меня зовут Ольга, компания ТехноСофт. Вам удобно говорить?"),
    (CUSTOMER, "Да, слушаю."),
    (REP, "Расскажите, как у вас сейчас устроена работа с заявками?"),
    (CUSTOMER, "Заявки приходят в почту, менеджеры их теряют. Мы пробовали Битрикс, не прижилось."),
    (REP, "Наша система собирает заявки из почты и сайта в одну воронку."),
    (CUSTOMER, "Звучит интересно, но дорого, наверное."),
    (REP, "Ещё у нас есть мобильное приложение."),
    (CUSTOMER, "А сколько стоит внедрение?"),
    (REP, "Давайте об этом позже."),
    (CUSTOMER, "Ладно."),
    (REP, "Хорошо, будем на связи, всего доброго."),
    (CUSTOMER, "До свидания."),
]

EN_GAPS = [
    (REP, "Hi, this is Emma from Brightline Software. Is now a good time?"),
    (CUSTOMER, "Sure, go ahead."),
    (REP, "How does your team handle inbound leads today?"),
    (CUSTOMER, "Leads land in a shared inbox. We tried Pipedrive last year but nobody used it."),
    (REP, "Our platform pulls every lead into one pipeline."),
    (CUSTOMER, "Honestly it sounds too expensive for a team our size."),
    (REP, "We also have a mobile app."),
    (CUSTOMER, "Does it integrate with our phone system?"),
    (REP, "Let's cover that later."),
    (CUSTOMER, "Okay."),
    (REP, "Great, let's keep in touch then."),
    (CUSTOMER, "Bye."),
]


def test_complete_calls_raise_no_signals() -> None:
    # Both calls agree a dated demo, qualify the budget, handle the price objection and answer what was asked.
    assert signals_of(dialogue("ru", RU_DISCOVERY_LINES)) == []
    assert signals_of(dialogue("en", EN_DISCOVERY_LINES)) == []


def test_russian_call_with_every_gap() -> None:
    call = dialogue("ru", RU_GAPS)
    signals = signals_of(call)
    assert sorted(kinds(signals)) == sorted(
        [
            SignalKind.no_next_step,
            SignalKind.objection_unanswered,
            SignalKind.budget_not_discussed,
            SignalKind.question_unanswered,
            SignalKind.competitor_mentioned,
        ]
    )
    assert [s.severity for s in signals] == sorted((s.severity for s in signals), key=list(SignalSeverity).index)
    for signal in signals:
        assert signal.language == "ru"
        assert_quotes_from(call, signal)

    [no_step] = of_kind(signals, SignalKind.no_next_step)
    assert no_step.severity == SignalSeverity.high
    assert no_step.source == DecisionSource.rule  # the script's next-step item, read from the dialogue
    assert no_step.message.startswith("Следующий шаг не согласован")
    # How the call ended, which holds the rep's vague call-back ("будем на связи").
    assert [e.quote for e in no_step.evidence] == ["Хорошо, будем на связи, всего доброго.", "До свидания."]

    [objection] = of_kind(signals, SignalKind.objection_unanswered)
    assert objection.subject == "Звучит интересно, но дорого, наверное."
    assert [e.quote for e in objection.evidence] == [objection.subject, "Ещё у нас есть мобильное приложение."]
    assert objection.message == "Возражение осталось без ответа: «Звучит интересно, но дорого, наверное.»"

    [question] = of_kind(signals, SignalKind.question_unanswered)
    assert question.subject == "А сколько стоит внедрение?"
    assert [e.role for e in question.evidence] == [Role.customer, Role.rep]

    [budget] = of_kind(signals, SignalKind.budget_not_discussed)
    assert budget.evidence == [] and "absence cannot be quoted" in budget.note

    [competitor] = of_kind(signals, SignalKind.competitor_mentioned)
    assert competitor.subject == "Bitrix24" and competitor.severity == SignalSeverity.low
    assert [e.quote for e in competitor.evidence] == ["Мы пробовали Битрикс, не прижилось."]


def test_english_call_with_every_gap() -> None:
    call = dialogue("en", EN_GAPS)
    signals = signals_of(call)
    assert sorted(kinds(signals)) == sorted(
        [
            SignalKind.no_next_step,
            SignalKind.objection_unanswered,
            SignalKind.budget_not_discussed,
            SignalKind.question_unanswered,
            SignalKind.competitor_mentioned,
        ]
    )
    for signal in signals:
        assert signal.language == "en"
        assert_quotes_from(call, signal)
    [objection] = of_kind(signals, SignalKind.objection_unanswered)
    assert objection.subject == "Honestly it sounds too expensive for a team our size."
    assert objection.source == DecisionSource.rule
    [question] = of_kind(signals, SignalKind.question_unanswered)
    assert question.message == "Customer question not answered: “Does it integrate with our phone system?”"
    [competitor] = of_kind(signals, SignalKind.competitor_mentioned)
    assert competitor.subject == "Pipedrive" and competitor.message == "Competitor mentioned: Pipedrive."
    [no_step] = of_kind(signals, SignalKind.no_next_step)
    assert [e.quote for e in no_step.evidence] == ["Great, let's keep in touch then.", "Bye."]


def test_messages_follow_the_summary_language() -> None:
    signals = signals_of(dialogue("en", EN_GAPS), summary_language="ru")
    [competitor] = of_kind(signals, SignalKind.competitor_mentioned)
    assert competitor.language == "ru" and competitor.message == "Упомянут конкурент: Pipedrive."


# Next step


def test_next_step_with_a_date_raises_nothing() -> None:
    ru = closing_lines(
        "ru", (REP, "Давайте созвонимся на следующей неделе и обсудим детали."), (CUSTOMER, "Хорошо, договорились.")
    )
    en = closing_lines("en", (REP, "I'll send you the proposal and we talk on Friday."), (CUSTOMER, "Works for me."))
    assert signals_of(dialogue("ru", ru)) == []
    assert signals_of(dialogue("en", en)) == []


def test_next_step_date_in_the_customers_reply_counts() -> None:
    lines = closing_lines("ru", (REP, "Когда удобно созвониться?"), (CUSTOMER, "Давайте в четверг, после обеда."))
    assert signals_of(dialogue("ru", lines)) == []
    lines = closing_lines("en", (REP, "Can we book a call to go through it?"), (CUSTOMER, "Sure, at 3 pm works."))
    assert signals_of(dialogue("en", lines)) == []


def test_next_step_without_a_date() -> None:
    call = dialogue("ru", closing_lines("ru", (REP, "Давайте созвонимся ещё раз и обсудим."), (CUSTOMER, "Давайте.")))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.next_step_date_missing and signal.severity == SignalSeverity.medium
    # The script reads the step from the dialogue: the proposal and the customer's acceptance are quoted.
    assert [e.quote for e in signal.evidence] == ["Давайте созвонимся ещё раз и обсудим.", "Давайте."]
    assert signal.message == "Следующий шаг обсудили, но дату или время не назначили."

    call = dialogue("en", closing_lines("en", (REP, "Let's schedule a demo with your team."), (CUSTOMER, "Fine.")))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.next_step_date_missing
    assert signal.evidence[0].quote == "Let's schedule a demo with your team."  # the sentence with the step
    assert signal.source == DecisionSource.rule  # the dialogue reading: a proposal the customer accepted


def test_no_next_step_when_the_call_just_ends() -> None:
    call = dialogue("en", closing_lines("en", (REP, "Thanks for your time."), (CUSTOMER, "Thank you, bye.")))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.no_next_step
    assert [e.quote for e in signal.evidence] == ["Thanks for your time.", "Thank you, bye."]


def test_no_next_step_quotes_the_scripts_no_said_before_the_end() -> None:
    lines = closing_lines(
        "en",
        (REP, "Call me if you need anything."),
        (CUSTOMER, "Will do."),
        (REP, "Thanks for your time."),
        (CUSTOMER, "Bye."),
    )
    [signal] = signals_of(dialogue("en", lines))
    assert signal.kind == SignalKind.no_next_step
    assert [e.quote for e in signal.evidence] == ["Call me if you need anything.", "Thanks for your time.", "Bye."]
    assert signal.note.startswith("script item 'next_step_agreed' answered no")


def test_a_negated_next_step_is_no_next_step() -> None:
    lines = closing_lines("ru", (CUSTOMER, "Давайте пока не будем назначать встречу."), (REP, "Хорошо, всего доброго."))
    assert kinds(signals_of(dialogue("ru", lines))) == [SignalKind.no_next_step]


def test_short_calls_get_no_absence_signals() -> None:
    call = dialogue(
        "ru", [(REP, "Алло, это компания ТехноСофт?"), (CUSTOMER, "Нет, вы ошиблись номером."), (REP, "Извините.")]
    )
    assert signals_of(call) == []


# Budget


def test_budget_said_in_any_form_counts_as_discussed() -> None:
    closing = [(REP, "Понимаю. Давайте созвонимся завтра в десять."), (CUSTOMER, "Хорошо.")]
    no_budget = (CUSTOMER, "Хотим навести порядок, бюджета на это пока нет, но это решаемо.")
    assert signals_of(dialogue("ru", [*RU_OPENING, no_budget, *closing])) == []
    [signal] = signals_of(dialogue("ru", [*RU_OPENING, (CUSTOMER, "Хотим навести порядок."), *closing]))
    assert signal.kind == SignalKind.budget_not_discussed
    assert signal.message == "Бюджет не обсуждался: ни вопроса о бюджете, ни суммы от клиента."

    [signal] = signals_of(dialogue("en", [*EN_OPENING, (REP, "Let's talk on Friday at ten."), (CUSTOMER, "Sure.")]))
    assert signal.kind == SignalKind.budget_not_discussed and signal.source == DecisionSource.phrases


# Objections


# Contract


def test_stored_analyses_without_signals_still_load() -> None:
    analysis = Analysis.model_validate(signals_analysis().model_dump(mode="json", exclude={"signals"}))
    assert analysis.signals == []


def signals_analysis() -> Analysis:
    call = dialogue("en", EN_GAPS)
    script = default_script_for("en")
    return analyze(call, script, FIELDS, CallInfo(), None, rule_proposals=extract_fields(call, FIELDS, "en"))


def test_calls_without_roles_get_only_named_competitors() -> None:
    call = dialogue("en", EN_GAPS)
    unknown = call.model_copy(
        update={"utterances": [Utterance(**{**u.model_dump(), "role": Role.unknown}) for u in call.utterances]}
    )
    proposals = extract_fields(unknown, FIELDS, "en")
    card = signals_analysis().scorecard
    assert kinds(detect_signals(unknown, card, proposals)) == [SignalKind.competitor_mentioned]


def test_other_languages_get_only_named_competitors() -> None:
    call = dialogue("de", [(REP, "Guten Tag."), (CUSTOMER, "Wir nutzen schon HubSpot."), *[(REP, "Gut.")] * 5])
    mention = FieldProposal(
        field="competitors_mentioned",
        value=["HubSpot"],
        evidence=[Evidence(quote="HubSpot.", start=call.utterances[1].words[-1].start, role=Role.customer)],
        confidence=0.85,
        source="rule",
    )
    [signal] = detect_signals(call, signals_analysis().scorecard, [mention])
    assert signal.kind == SignalKind.competitor_mentioned and signal.language == "en"
    assert signal.message == "Competitor mentioned: HubSpot."


def test_report_shows_signals_with_their_quotes() -> None:
    console = Console(record=True, width=200)
    render_signals(console, signals_analysis().signals)
    report = console.export_text()
    assert "Deal-gap signals" in report
    assert "Objection left unanswered: “Honestly it sounds too expensive for a team our size.”" in report
    assert "“Does it integrate with our phone system?”" in report
    assert "absence cannot be" in report  # the budget signal explains why it quotes nothing

    quiet = Console(record=True, width=200)
    render_signals(quiet, [])
    assert quiet.export_text().strip() == "Deal-gap signals: none"


def test_blank_utterances_are_never_quoted() -> None:
    call = dialogue("en", [*EN_OPENING, (CUSTOMER, "Does it integrate with our phone system?"), (REP, "Hmm")])
    last = call.utterances[-1]
    blank = last.model_copy(update={"words": [last.words[0].model_copy(update={"text": " "})]})
    call = call.model_copy(update={"utterances": [*call.utterances[:-1], blank]})
    signals = signals_of(call)
    assert sorted(kinds(signals)) == sorted(
        [SignalKind.no_next_step, SignalKind.budget_not_discussed, SignalKind.question_unanswered]
    )
    for signal in signals:
        assert all(e.quote for e in signal.evidence)
        assert_quotes_from(call, signal)


def test_an_objection_asked_as_a_question_is_reported_once() -> None:
    call = dialogue("ru", exchange("ru", "Это же дорого? Сколько стоит внедрение?", "Посмотрим."))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.objection_unanswered


def test_the_llm_decides_the_next_step_when_no_phrase_does() -> None:
    lines = closing_lines(
        "en", (REP, "Laura will want to see how it works for her team."), (CUSTOMER, "Right, I will talk to her.")
    )
    call = dialogue("en", lines)
    script = default_script_for("en")
    proposals = extract_fields(call, FIELDS, "en")

    def with_llm(answer: str, quote: str) -> list[DealSignal]:
        # A model trusted first (`llm_first`): the rules' own reading of the step is only its fallback.
        llm = FixedAnswerLLM({"items": {"next_step_agreed": {"answer": answer, "quote": quote}}, "fields": {}})
        return analyze(call, script, FIELDS, CallInfo(), llm, rule_proposals=proposals, llm_first=True).signals

    [agreed] = with_llm("yes", "Laura will want to see how it works")
    assert agreed.kind == SignalKind.next_step_date_missing and agreed.source == DecisionSource.llm
    assert [e.quote for e in agreed.evidence] == ["Laura will want to see how it works"]  # grounded in the call

    [missing] = with_llm("no", "I will talk to her")
    assert missing.kind == SignalKind.no_next_step and missing.source == DecisionSource.llm
    assert missing.note.startswith("script item 'next_step_agreed' answered no")

    assert kinds(analyze(call, script, FIELDS, CallInfo(), None, rule_proposals=proposals).signals) == [
        SignalKind.no_next_step
    ]
