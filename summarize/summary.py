"""The call summary: taken from the LLM's answer, or built from the transcript's own sentences when no LLM answer
can be used (source 'extractive').

The extractive summary quotes the customer's first statement of a need (the first customer utterance with a need or
problem word, else their longest utterance) and the last next-step sentence either side said; every quote is a
verbatim utterance, so it carries its evidence.
"""

import re

from models import Conversation, Evidence, Role, Summary, Utterance
from summarize.phrases import find_phrases

_NEED_PHRASES = {
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
_NEXT_STEP_PHRASES = {
    "ru": [
        "встреча",
        "демонстрация",
        "демо",
        "созвониться",
        "созвон",
        "кп",
        "коммерческое предложение",
        "договор",
        "перезвонить",
        "в понедельник",
        "во вторник",
        "в среду",
        "в четверг",
        "в пятницу",
        "завтра",
    ],
    "en": [
        "meeting",
        "demo",
        "call",
        "proposal",
        "quote",
        "contract",
        "on monday",
        "on tuesday",
        "on wednesday",
        "on thursday",
        "on friday",
        "tomorrow",
        "next week",
    ],
}
_LABELS = {
    "ru": ("Клиент", "Следующий шаг", "Разговор без распознанной речи."),
    "en": ("Customer", "Next step", "No recognised speech in the call."),
}


def _code(language: str) -> str:
    code = language.split("-")[0].lower()
    return code if code in _LABELS else "en"


def _evidence(utterance: Utterance) -> Evidence:
    return Evidence(quote=utterance.text, start=utterance.start, end=utterance.end, role=utterance.role)


def _customer_need(conversation: Conversation) -> Utterance | None:
    code = _code(conversation.language)
    matches = [
        m for m in find_phrases(conversation.utterances, _NEED_PHRASES[code], code, role=Role.customer) if not m.negated
    ]
    if matches:
        return conversation.utterances[matches[0].utterance_index]
    customer = [u for u in conversation.utterances if u.role == Role.customer and u.words]
    return max(customer, key=lambda u: len(u.words), default=None)


def _next_step(conversation: Conversation) -> Utterance | None:
    code = _code(conversation.language)
    matches = [m for m in find_phrases(conversation.utterances, _NEXT_STEP_PHRASES[code], code) if not m.negated]
    return conversation.utterances[matches[-1].utterance_index] if matches else None


def extractive_summary(conversation: Conversation, language: str | None = None) -> Summary:
    """A summary quoting the customer's need and the agreed next step, for calls with no usable LLM answer."""
    code = _code(language or conversation.language)
    customer_label, next_label, empty = _LABELS[code]
    need = _customer_need(conversation)
    step = _next_step(conversation)
    points = []
    if need is not None:
        points.append(f"{customer_label}: {need.text}")
    if step is not None and step is not need:
        points.append(f"{next_label}: {step.text}")
    evidence = [_evidence(u) for u in (need, step) if u is not None]
    return Summary(
        language=code,
        text=" ".join(points) if points else empty,
        key_points=points,
        next_step=step.text if step is not None else None,
        evidence=evidence,
        source="extractive",
    )


MIN_SUMMARY_WORDS = 5


def summary_from_answer(answer: dict, language: str) -> Summary | None:
    """The LLM's summary, or None when it wrote nothing usable (an extractive summary then stands in).

    A text of fewer than `MIN_SUMMARY_WORDS` words is taken as unusable: small models answer "1000 words" or echo a
    key name when they cannot summarise.
    """
    text = str(answer.get("text") or "").strip()
    if len(re.findall(r"[^\W\d_]{2,}", text)) < MIN_SUMMARY_WORDS:
        return None
    points = [str(point).strip() for point in answer.get("key_points") or [] if str(point).strip()]
    next_step = answer.get("next_step")
    return Summary(
        language=_code(language),
        text=text,
        key_points=points,
        next_step=(str(next_step).strip() or None) if next_step is not None else None,
        source="llm",
    )
