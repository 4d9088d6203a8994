"""Deal-gap signals decided turn by turn, on written dialogues in Russian and English: objections and customer
questions left unanswered, and competitors mentioned; each firing, and the near miss that must not fire."""

from models import (
    DecisionSource,
    SignalKind,
    SignalSeverity,
)
from tests.summarize.test_analyze_dialogues import CUSTOMER, REP, dialogue
from tests.support.signal_calls import closing_lines, exchange, kinds, signals_of


def test_objection_handled_by_phrase_or_by_its_subject() -> None:
    handled = [
        ("ru", "Для нас это дорого.", "Понимаю, давайте посчитаем, сколько заявок вы теряете."),
        ("ru", "Сейчас не актуально, нет бюджета.", "Бюджет можно заложить на следующий квартал."),
        ("en", "That's too expensive for us.", "I understand. Compared to one lost deal a month it pays for itself."),
        ("en", "We're not interested right now.", "What exactly would make it interesting for your team?"),
    ]
    for language, objection, reply in handled:
        assert signals_of(dialogue(language, exchange(language, objection, reply))) == [], objection
        brushed_off = signals_of(dialogue(language, exchange(language, objection, "Ок.")))
        assert kinds(brushed_off) == [SignalKind.objection_unanswered], objection


def test_objection_left_unanswered() -> None:
    call = dialogue("ru", exchange("ru", "Нам надо подумать.", "Хорошо."))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.objection_unanswered and signal.severity == SignalSeverity.high
    assert [e.quote for e in signal.evidence] == ["Нам надо подумать.", "Хорошо."]
    assert signal.subject == "Нам надо подумать." and signal.note.startswith("objection heard: ")

    call = dialogue("en", exchange("en", "Send me an email and I'll look.", "Sure, will do."))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.objection_unanswered
    assert signal.subject == "Send me an email and I'll look."


def test_negated_objection_is_no_objection() -> None:
    call = dialogue("ru", exchange("ru", "В целом это не дорого.", "Отлично."))
    assert signals_of(call) == []


def test_objection_at_the_end_of_the_call() -> None:
    call = dialogue("en", [*exchange("en", "Fine.", "Great."), (CUSTOMER, "Honestly, we need to think about it.")])
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.objection_unanswered
    assert len(signal.evidence) == 1 and signal.note.endswith("the call ended without a rep reply")


# Questions


def test_answered_questions_raise_nothing() -> None:
    answered = [
        ("ru", "А сколько стоит внедрение?", "От пятидесяти тысяч рублей."),  # an amount
        ("ru", "Есть интеграция с телефонией?", "Да, есть."),  # yes/no
        ("ru", "Как долго длится внедрение?", "Внедрение занимает две недели."),  # the question's own word
        ("en", "Does it integrate with our phone system?", "Yes, out of the box."),
        ("en", "How long does onboarding take?", "Most teams are fully set up within two weeks."),
        ("en", "Can we export the call data to our warehouse?", "We run nightly exports for a few clients."),
    ]
    for language, question, reply in answered:
        assert signals_of(dialogue(language, exchange(language, question, reply))) == [], question
        brushed_off = signals_of(dialogue(language, exchange(language, question, "Ок.")))
        assert kinds(brushed_off) == [SignalKind.question_unanswered], question


def test_question_answered_in_the_reps_second_turn() -> None:
    lines = closing_lines(
        "en",
        (CUSTOMER, "Does it integrate with our phone system?"),
        (REP, "Which one do you use?"),
        (CUSTOMER, "Aircall."),
        (REP, "Yes, Aircall works out of the box."),
        (REP, "Let's talk on Friday at ten."),
        (CUSTOMER, "Okay."),
    )
    assert signals_of(dialogue("en", lines)) == []


def test_question_met_only_with_a_question_back_or_a_brush_off() -> None:
    asked_back = exchange(
        "en",
        "Is there an API for the transcripts?",
        "Why do you ask?",
        (CUSTOMER, "We want to load them into our warehouse."),
        (REP, "Let's see later."),
    )
    call = dialogue("en", asked_back)
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.question_unanswered and signal.severity == SignalSeverity.medium
    assert [e.quote for e in signal.evidence] == ["Is there an API for the transcripts?", "Why do you ask?"]

    call = dialogue("ru", exchange("ru", "А какие гарантии вы даёте?", "Давайте позже."))
    [signal] = signals_of(call)
    assert signal.subject == "А какие гарантии вы даёте?"
    assert signal.message == "Вопрос клиента остался без ответа: «А какие гарантии вы даёте?»"


def test_a_price_question_put_off_without_a_figure_is_unanswered() -> None:
    put_off = [
        ("ru", "Вы мне лучше скажите сколько у вас это стоит", "Ну это по-разному, методист вам всё расскажет."),
        ("ru", "А какой процент по кредиту?", "Там от банка зависит, на месте посчитают."),
        ("en", "How much would the onboarding cost us?", "It depends on a lot of things, we'll cover it later."),
    ]
    for language, question, reply in put_off:
        assert kinds(signals_of(dialogue(language, exchange(language, question, reply)))) == [
            SignalKind.question_unanswered
        ], question
    # A figure answers it, put off or not; a deferral of a question that asks for no figure is still an answer.
    answered = [
        ("ru", "Вы мне лучше скажите сколько у вас это стоит", "По-разному, но в среднем тридцать тысяч в месяц."),
        ("ru", "А внедрение долго идёт?", "Внедрение обычно занимает пару недель."),
    ]
    for language, question, reply in answered:
        assert signals_of(dialogue(language, exchange(language, question, reply))) == [], question


def test_small_talk_and_line_checks_are_not_questions() -> None:
    for language, line in [("ru", "Алло? Вы меня слышите?"), ("en", "How are you?"), ("en", "Right?")]:
        assert signals_of(dialogue(language, exchange(language, line, "Ок."))) == [], line


# Competitors


def test_generic_competitor_phrases_and_their_negation() -> None:
    call = dialogue("ru", exchange("ru", "Мы сейчас работаем с другим поставщиком.", "Что вас в нём не устраивает?"))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.competitor_mentioned and signal.subject is None
    assert signal.evidence[0].quote == "Мы сейчас работаем с другим поставщиком."
    assert signal.message == "Клиент упомянул другого поставщика или решение, которым уже пользуется."

    call = dialogue("en", exchange("en", "We never looked at another vendor.", "Good to know."))
    assert signals_of(call) == []


def test_named_competitor_is_not_repeated_as_a_generic_mention() -> None:
    call = dialogue("en", exchange("en", "We're already using HubSpot for this.", "What do you miss in HubSpot?"))
    [signal] = signals_of(call)
    assert signal.kind == SignalKind.competitor_mentioned and signal.subject == "HubSpot"
    assert signal.source == DecisionSource.phrases
