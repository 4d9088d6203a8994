"""Written sales-call dialogues and helpers for the deal-gap signal tests: the analyze stage run without an LLM,
as it runs when none is configured."""

from crm_fill.schema import builtin_field_schema
from models import (
    CallInfo,
    Conversation,
    DealSignal,
    Role,
    SignalKind,
)
from scoring_scripts.loader import default_script_for
from summarize.core import analyze
from summarize.field_rules import extract_fields
from tests.summarize.test_analyze_dialogues import CUSTOMER, REP

FIELDS = builtin_field_schema()


def signals_of(conversation: Conversation, summary_language: str | None = None) -> list[DealSignal]:
    script = default_script_for(conversation.language)
    proposals = extract_fields(conversation, FIELDS, conversation.language)
    analysis = analyze(
        conversation, script, FIELDS, CallInfo(), None, rule_proposals=proposals, summary_language=summary_language
    )
    return analysis.signals


def kinds(signals: list[DealSignal]) -> list[SignalKind]:
    return [signal.kind for signal in signals]


def of_kind(signals: list[DealSignal], kind: SignalKind) -> list[DealSignal]:
    return [signal for signal in signals if signal.kind == kind]


def assert_quotes_from(conversation: Conversation, signal: DealSignal) -> None:
    """Every quote of a signal is the transcript's own words, spoken by the role it names, at the time it names."""
    for evidence in signal.evidence:
        spoken = [u for u in conversation.utterances if u.start <= (evidence.start or -1) <= u.end]
        assert spoken, evidence
        assert evidence.quote and evidence.quote in spoken[0].text
        assert evidence.role == spoken[0].role


RU_OPENING = [
    (REP, "Добрый день, меня зовут Ольга, компания ТехноСофт. Вам удобно сейчас говорить?"),
    (CUSTOMER, "Да, добрый день, несколько минут у меня есть."),
    (REP, "Расскажите, как у вас сейчас устроена работа с заявками от клиентов?"),
    (CUSTOMER, "Заявки приходят в почту и в таблицу, часть из них теряется."),
]
EN_OPENING = [
    (REP, "Hi Mark, this is Emma from Brightline Software. Is now a good time to talk?"),
    (CUSTOMER, "Sure, I have a few minutes."),
    (REP, "Could you tell me how your team handles inbound leads today?"),
    (CUSTOMER, "Leads land in a shared inbox and we lose track of some of them."),
]
BUDGET = {
    "ru": [(REP, "Какой бюджет вы закладываете на автоматизацию?"), (CUSTOMER, "Около трехсот тысяч рублей в год.")],
    "en": [
        (REP, "What budget have you set aside for this project?"),
        (CUSTOMER, "Around twenty thousand dollars for the year."),
    ],
}


def closing_lines(language: str, *closing: tuple[Role, str]) -> list[tuple[Role, str]]:
    """A qualified call (the situation and the budget asked and told) that ends with `closing`."""
    opening = RU_OPENING if language == "ru" else EN_OPENING
    return [*opening, *BUDGET[language], *closing]


def exchange(language: str, customer: str, reply: str, *more: tuple[Role, str]) -> list[tuple[Role, str]]:
    """A qualified call where the customer says `customer`, the rep replies `reply`, and a dated call is agreed."""
    if language == "ru":
        closing = [(CUSTOMER, "Понятно."), (REP, "Давайте созвонимся завтра в десять."), (CUSTOMER, "Хорошо.")]
    else:
        closing = [(CUSTOMER, "I see."), (REP, "Let's talk on Friday at ten."), (CUSTOMER, "Okay.")]
    return closing_lines(language, (CUSTOMER, customer), (REP, reply), *more, *closing)
