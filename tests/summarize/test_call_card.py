"""The call card: every line is a fact the analysis holds, quoted verbatim with the side that said it."""

from crm_fill.schema import builtin_field_schema
from diarize.transcript_file import read_transcript
from models import Analysis, CallInfo, Conversation, Role
from models.summary import CardLineKind
from scoring_scripts.loader import default_script_for
from summarize.core import analyze
from summarize.field_rules import extract_fields

FIELDS = builtin_field_schema()
RU_CALL = """
менеджер: Добрый день, меня зовут Ольга, компания ТехноСофт. Вам удобно сейчас говорить?
клиент: Да, добрый день, несколько минут есть.
менеджер: Расскажите, как у вас сейчас устроена работа с заявками?
клиент: Заявки приходят в почту и в таблицу. Часть из них теряется, и нам нужно навести порядок.
менеджер: Какой бюджет вы закладываете на автоматизацию?
клиент: Около трехсот тысяч рублей в год.
менеджер: Кто у вас принимает решение о покупке?
клиент: Решение принимает директор, Игорь Петрович.
клиент: Сейчас мы работаем в Битрикс24, но он нас не устраивает.
менеджер: Наша система собирает все заявки в одну воронку и считает конверсию.
клиент: Звучит интересно, но для нас это дорого.
менеджер: Давайте я покажу систему директору. Созвонимся в четверг в десять?
клиент: Хорошо, в четверг в десять подойдет.
"""
EN_CALL = """
rep: Hi Mark, this is Emma from Brightline Software. Is now a good time to talk?
customer: Sure, I have a few minutes.
rep: Could you tell me how your team handles inbound leads today?
customer: Leads land in a shared inbox. We lose track of some of them every week.
rep: What budget have you set aside for this project?
customer: Around twenty thousand dollars for the year.
rep: Who makes the final decision?
customer: Our CEO makes the decision, her name is Laura.
rep: Our platform pulls every lead into one pipeline, and the team plan is fifteen hundred dollars a month.
customer: Honestly, it's too expensive for us.
rep: Let's schedule a demo with Laura on Thursday at two.
customer: Thursday at two works.
"""


def _analysed(text: str) -> tuple[Conversation, Analysis]:
    conversation = read_transcript(text)
    proposals = extract_fields(conversation, FIELDS, conversation.language)
    script = default_script_for(conversation.language)
    return conversation, analyze(conversation, script, FIELDS, CallInfo(), None, rule_proposals=proposals)


def _lines(analysis: Analysis) -> dict[CardLineKind, tuple[str, Role, str]]:
    """Each kind's first line: its text, who said it, and its first quote."""
    assert analysis.summary.card is not None
    lines: dict[CardLineKind, tuple[str, Role, str]] = {}
    for line in analysis.summary.card.lines:
        lines.setdefault(line.kind, (line.text, line.said_by, line.evidence[0].quote or ""))
    return lines


def _assert_quoted(conversation: Conversation, analysis: Analysis) -> None:
    """Every quote on the card is said on the call by the role it names, at the time it names."""
    assert analysis.summary.card is not None
    for line in analysis.summary.card.lines:
        assert line.evidence and line.said_by == line.evidence[0].role
        for evidence in line.evidence:
            spoken = [u for u in conversation.utterances if u.start <= (evidence.start or -1) <= u.end]
            assert spoken and evidence.quote and evidence.quote in spoken[0].text, evidence
            assert evidence.role == spoken[0].role


def test_a_russian_call_card_quotes_the_need_facts_agreement_and_objection() -> None:
    conversation, analysis = _analysed(RU_CALL)
    lines = _lines(analysis)
    del lines[CardLineKind.next_step]  # checked below
    assert lines == {
        CardLineKind.need: (
            "Часть из них теряется, и нам нужно навести порядок.",
            Role.customer,
            "Часть из них теряется, и нам нужно навести порядок.",
        ),
        CardLineKind.budget: ("300000 RUB", Role.customer, "Около трехсот тысяч рублей в год."),
        CardLineKind.decision_maker: (
            "директор Игорь Петрович",
            Role.customer,
            "Решение принимает директор, Игорь Петрович.",
        ),
        CardLineKind.competitor: (
            "Bitrix24",
            Role.customer,
            "Сейчас мы работаем в Битрикс24, но он нас не устраивает.",
        ),
        CardLineKind.next_step_date: ("в четверг", Role.rep, "Созвонимся в четверг в десять?"),
        CardLineKind.objection: (
            "Звучит интересно, но для нас это дорого.",
            Role.customer,
            "Звучит интересно, но для нас это дорого.",
        ),
    }
    # The next step is the sentence that agreed it, or the rep's whole turn, as the script item quoted it.
    step_text, step_role, step_quote = _lines(analysis)[CardLineKind.next_step]
    assert step_role == Role.rep and step_text == step_quote and "Созвонимся в четверг в десять?" in step_quote
    summary = analysis.summary
    assert summary.source == "extractive" and summary.llm_rejected_reason is None
    assert [line.label for line in summary.card.lines][:3] == ["Потребность клиента", "Бюджет", "Принимает решение"]
    assert (
        summary.text.startswith("Потребность клиента: Часть из них теряется") and "Бюджет: 300000 RUB" in summary.text
    )
    assert summary.next_step == step_text
    _assert_quoted(conversation, analysis)


def test_an_english_call_card_has_english_labels_and_who_said_each_line() -> None:
    conversation, analysis = _analysed(EN_CALL)
    lines = _lines(analysis)
    assert lines[CardLineKind.need] == (
        "We lose track of some of them every week.",
        Role.customer,
        "We lose track of some of them every week.",
    )
    assert lines[CardLineKind.budget] == ("20000 USD", Role.customer, "Around twenty thousand dollars for the year.")
    assert lines[CardLineKind.decision_maker][:2] == ("CEO", Role.customer)
    assert lines[CardLineKind.next_step] == (
        "Let's schedule a demo with Laura on Thursday at two.",
        Role.rep,
        "Let's schedule a demo with Laura on Thursday at two.",
    )
    assert lines[CardLineKind.objection][:2] == ("Honestly, it's too expensive for us.", Role.customer)
    # The rep's price is a pitch, not the customer's budget: no line reads it as one.
    assert all("fifteen hundred" not in text for text, _, _ in lines.values())
    card = analysis.summary.card
    assert card is not None and card.language == "en"
    assert [line.label for line in card.lines][:2] == ["Customer's need", "Budget"]
    assert analysis.summary.key_points == [f"{line.label}: {line.text}" for line in card.lines]
    _assert_quoted(conversation, analysis)


def test_a_call_with_nothing_to_quote_has_an_empty_card_and_says_so() -> None:
    _, analysis = _analysed("rep: Hello?\ncustomer: Hello, who is this?\nrep: Sorry, wrong number.")
    assert analysis.summary.card is not None and analysis.summary.card.lines == []
    assert analysis.summary.text == "The call states no customer need, facts or next step."
    assert analysis.summary.key_points == [] and analysis.summary.evidence == []


def test_a_request_in_other_words_is_quoted_as_the_customers_request_not_as_a_need() -> None:
    _, analysis = _analysed(
        "rep: Thank you for calling, this is Mark.\n"
        "customer: Hi, I bought a car last month and a light keeps coming on on the dashboard. What should I do?\n"
        "rep: Let me check your booking."
    )
    card = analysis.summary.card
    assert card is not None
    kinds = [line.kind for line in card.lines]
    assert CardLineKind.need not in kinds
    request = next(line for line in card.lines if line.kind == CardLineKind.request)
    assert request.label == "Customer's request" and request.said_by == Role.customer
    assert request.text == "Hi, I bought a car last month and a light keeps coming on on the dashboard."
    assert analysis.summary.text.startswith("Customer's request: Hi, I bought a car")
