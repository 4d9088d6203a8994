"""The call summary: the call card (`summarize.call_card`) with a short text built from it (source 'extractive'),
or the LLM's text where it passes the gate (`summarize.summary_gate`, source 'llm'); the card is kept either way.

The card's text names the customer's need, the budget, the decision maker and the agreed next step with its date,
then counts what was left open; quotes longer than `MAX_QUOTE_CHARS` are cut at a word. Each key point is one card
line, so every point shown without an LLM is backed by a quote.
"""

import logging
import re

from models import Conversation, Evidence, Summary
from models.summary import CallCard, CardLineKind
from summarize.summary_gate import check_summary

logger = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 140
_TEXT_KINDS = (
    CardLineKind.need,
    CardLineKind.request,
    CardLineKind.budget,
    CardLineKind.decision_maker,
    CardLineKind.next_step,
)
_OPEN_KINDS = (CardLineKind.objection, CardLineKind.question)
_WORDING = {
    "ru": {
        "empty": "Разговор без распознанной речи.",
        "nothing": "В разговоре не найдено ни потребности клиента, ни фактов, ни следующего шага.",
        CardLineKind.objection: "Возражений без ответа",
        CardLineKind.question: "Вопросов без ответа",
    },
    "en": {
        "empty": "No recognised speech in the call.",
        "nothing": "The call states no customer need, facts or next step.",
        CardLineKind.objection: "Unanswered objections",
        CardLineKind.question: "Unanswered questions",
    },
}


def _shortened(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_QUOTE_CHARS:
        text = text[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text if re.search(r"[.!?…]$", text) else f"{text}."


def card_text(card: CallCard, conversation: Conversation) -> str:
    wording = _WORDING[card.language]
    parts = []
    for kind in _TEXT_KINDS:
        line = next((line for line in card.lines if line.kind == kind), None)
        if line is None:
            continue
        text = line.text
        if kind == CardLineKind.next_step:
            when = next((dated for dated in card.lines if dated.kind == CardLineKind.next_step_date), None)
            text = f"{text.rstrip('.!?… ')} ({when.label.lower()}: {when.text})" if when is not None else text
        parts.append(f"{line.label}: {_shortened(text)}")
    for kind in _OPEN_KINDS:
        count = sum(line.kind == kind for line in card.lines)
        if count:
            parts.append(f"{wording[kind]}: {count}.")
    if parts:
        return " ".join(parts)
    has_speech = any(u.words for u in conversation.utterances)
    return wording["nothing"] if has_speech else wording["empty"]


def card_summary(card: CallCard, conversation: Conversation) -> Summary:
    """The summary shown when no LLM text passed the gate: the card, its lines as key points, and its text."""
    evidence: list[Evidence] = []
    for line in card.lines:
        evidence.extend(e for e in line.evidence if e not in evidence)
    step = next((line for line in card.lines if line.kind == CardLineKind.next_step), None)
    return Summary(
        language=card.language,
        text=card_text(card, conversation),
        key_points=[f"{line.label}: {line.text}" for line in card.lines],
        next_step=step.text if step is not None else None,
        evidence=evidence,
        source="extractive",
        card=card,
    )


def gated_summary(
    card: CallCard, answer: dict | None, conversation: Conversation, language: str, call_id: str | None
) -> Summary:
    """The card's summary, with the LLM's summary `answer` (its text, key points, next step) shown instead where it
    passes the gate; a refusal is logged and kept in `llm_rejected_reason`. `answer` None: no LLM answered."""
    shown = card_summary(card, conversation)
    if answer is None:
        return shown
    text = str(answer.get("text") or "").strip()
    points = [str(point).strip() for point in answer.get("key_points") or [] if str(point).strip()]
    next_step = str(answer.get("next_step") or "").strip() or None
    verdict = check_summary([text, *points, next_step or ""], conversation, language.split("-")[0].lower())
    if not verdict.passed:
        logger.info("call %s: the LLM's summary is not shown, it failed the gate (%s)", call_id, verdict.reason)
        return shown.model_copy(update={"llm_rejected_reason": verdict.reason})
    return shown.model_copy(update={"text": text, "key_points": points, "next_step": next_step, "source": "llm"})
