"""The call card: the customer's need, the facts, what was agreed and what was left open, each line backed by the
call's own words and the side that said them.

Nothing on the card is written by a model. Its lines come only from what the analysis already holds:
- need: the customer's first utterance stating a need or a problem (`NEED_PHRASES`, not negated), quoted whole;
  when none is stated in those words, the customer's request: their first utterance of `REQUEST_WORDS` words or
  more, quoted as said and labelled as their words, not as a need;
- budget, decision maker, competitors, products, next step date: the CRM field proposals made by rules (source
  "rule"), with the value the rule extracted; an LLM proposal is left out, since its value is the model's words;
- next step: the quotes that decided the script item `next_step_agreed` yes, else the quote of the
  next_step_date_missing signal (a next step was heard, without a date);
- a competitor named in other words ("we already use another vendor"): the competitor_mentioned signal;
- unanswered objections and questions: their deal-gap signals.

A line whose source carries no verbatim quote is not shown: absence cannot be quoted, so "no budget discussed" stays
a deal-gap signal, not a card line. Labels follow the card's language (Russian or English).
"""

from collections.abc import Sequence
from datetime import date

from models import (
    Answer,
    Conversation,
    DealSignal,
    Evidence,
    FieldProposal,
    Role,
    Scorecard,
    SignalKind,
    Word,
)
from models.proposal import FieldValue
from models.summary import CallCard, CardLine, CardLineKind
from summarize.phrases import find_phrases
from summarize.signal_quotes import quote, sentence_at, sentences, utterance_index_at

NEED_PHRASES = {
    "ru": [
        "проблема",
        "нужно",
        "надо",
        "нужен",
        "хотим",
        "хотеть",
        "теряем",
        "терять",
        "не устраивает",
        "задача",
        "ищем",
        "интересует",
    ],
    "en": ["problem", "need", "we want", "looking for", "lose", "struggle", "challenge", "issue", "interested in"],
}
FIELD_KINDS = {
    "budget": CardLineKind.budget,
    "decision_maker": CardLineKind.decision_maker,
    "competitors_mentioned": CardLineKind.competitor,
    "products_of_interest": CardLineKind.product,
    "next_step_date": CardLineKind.next_step_date,
}
NEXT_STEP_ITEMS = ("next_step_agreed",)
SIGNAL_KINDS = {
    SignalKind.competitor_mentioned: CardLineKind.competitor,
    SignalKind.objection_unanswered: CardLineKind.objection,
    SignalKind.question_unanswered: CardLineKind.question,
}
LABELS = {
    "ru": {
        CardLineKind.need: "Потребность клиента",
        CardLineKind.request: "Обращение клиента",
        CardLineKind.budget: "Бюджет",
        CardLineKind.decision_maker: "Принимает решение",
        CardLineKind.competitor: "Конкурент",
        CardLineKind.product: "Интересует",
        CardLineKind.next_step: "Договорились",
        CardLineKind.next_step_date: "Когда",
        CardLineKind.objection: "Возражение без ответа",
        CardLineKind.question: "Вопрос без ответа",
    },
    "en": {
        CardLineKind.need: "Customer's need",
        CardLineKind.request: "Customer's request",
        CardLineKind.budget: "Budget",
        CardLineKind.decision_maker: "Decision maker",
        CardLineKind.competitor: "Competitor",
        CardLineKind.product: "Interested in",
        CardLineKind.next_step: "Agreed next step",
        CardLineKind.next_step_date: "When",
        CardLineKind.objection: "Unanswered objection",
        CardLineKind.question: "Unanswered question",
    },
}
ORDER = list(CardLineKind)
# A customer's "hello?" or "yes, speaking" says nothing of why they talk; a sentence of this length usually does.
REQUEST_WORDS = 8


def card_language(language: str) -> str:
    code = language.split("-")[0].lower()
    return code if code in LABELS else "en"


def _quotes(conversation: Conversation, evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence that quotes the call, each quote widened to the whole sentence it stands in: "schedule a demo"
    says less than "Let's schedule a demo with Laura for Thursday at two"."""
    widened = []
    for e in evidence:
        if not e.quote:
            continue
        index = utterance_index_at(conversation, e.start)
        if index is not None and e.start is not None:
            utterance = conversation.utterances[index]
            sentence = quote(sentence_at(utterance, e.start), utterance)
            e = sentence if len(sentence.quote or "") > len(e.quote) else e
        widened.append(e)
    return widened


def _value_text(value: FieldValue) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def customer_need(conversation: Conversation) -> Evidence | None:
    """The sentence where the customer first stated a need or a problem; None when they stated none."""
    code = card_language(conversation.language)
    matches = find_phrases(conversation.utterances, NEED_PHRASES.get(code, []), code, role=Role.customer)
    first = next((m for m in matches if not m.negated), None)
    if first is None:
        return None
    utterance = conversation.utterances[first.utterance_index]
    return quote(sentence_at(utterance, first.start), utterance)


def customer_request(conversation: Conversation) -> Evidence | None:
    """The opening sentences of the customer's first utterance long enough to say what they want; None when there is
    none."""
    for utterance in conversation.utterances:
        if utterance.role == Role.customer and len(utterance.words) >= REQUEST_WORDS:
            said: list[Word] = []
            for sentence in sentences(utterance):
                said += sentence
                if len(said) >= REQUEST_WORDS:
                    break
            return quote(said, utterance)
    return None


def _next_step_quotes(
    conversation: Conversation, scorecard: Scorecard, signals: Sequence[DealSignal]
) -> list[Evidence]:
    for item in scorecard.items:
        if item.item_id in NEXT_STEP_ITEMS and item.answer == Answer.yes and _quotes(conversation, item.evidence):
            return _quotes(conversation, item.evidence)
    undated = [s for s in signals if s.kind == SignalKind.next_step_date_missing]
    return _quotes(conversation, undated[0].evidence) if undated else []


def build_call_card(
    conversation: Conversation,
    scorecard: Scorecard,
    proposals: Sequence[FieldProposal],
    signals: Sequence[DealSignal],
    language: str,
) -> CallCard:
    """The call card, worded in `language`, from the analysis of `conversation` (see the module's docstring)."""
    code = card_language(language)
    found: list[tuple[CardLineKind, str, list[Evidence]]] = []
    need = customer_need(conversation)
    if need is not None:
        found.append((CardLineKind.need, need.quote or "", [need]))
    elif (request := customer_request(conversation)) is not None:
        found.append((CardLineKind.request, request.quote or "", [request]))
    for proposal in proposals:
        kind = FIELD_KINDS.get(proposal.field)
        if kind is not None and proposal.source == "rule":
            found.append((kind, _value_text(proposal.value), _quotes(conversation, proposal.evidence)))
    step = _next_step_quotes(conversation, scorecard, signals)
    if step:
        found.append((CardLineKind.next_step, step[0].quote or "", step))
    named = {e.quote for kind, _, quotes in found if kind == CardLineKind.competitor for e in quotes}
    for signal in signals:
        kind = SIGNAL_KINDS.get(signal.kind)
        quotes = _quotes(conversation, signal.evidence)
        if kind is None or not quotes or (kind == CardLineKind.competitor and quotes[0].quote in named):
            continue
        found.append((kind, signal.subject or quotes[0].quote or "", quotes))
    lines = [
        CardLine(
            kind=kind, label=LABELS[code][kind], text=text, said_by=quotes[0].role or Role.unknown, evidence=quotes
        )
        for kind, text, quotes in sorted(found, key=lambda line: ORDER.index(line[0]))
        if quotes and text
    ]
    return CallCard(language=code, lines=lines)
