"""Deciding script items without the LLM: applicability, phrases and metrics, in each item's `decide_by` order.

Methods are tried in order; the first that reaches yes/no wins. When the order reaches `llm`, the item is handed to
the LLM; the methods listed after `llm` are still evaluated here and their result is the fallback used when the LLM
gives no usable answer. See scoring_scripts/README.md for what each method decides.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from models import (
    Answer,
    CallScript,
    Conversation,
    ConversationMetrics,
    DecisionSource,
    Evidence,
    ItemResult,
    Method,
    Role,
    ScriptItem,
)
from models.script import Dialogue
from summarize.dialogue_items import decide_dialogue
from summarize.meaning import decide_by_examples
from summarize.objections import raised_objections
from summarize.phrases import PhraseMatch, find_phrases
from summarize.scorecard import item_result


@dataclass(frozen=True)
class RuleDecision:
    """An item's result by rules; when `asks_llm`, the result is only the fallback for a missing LLM answer."""

    item: ScriptItem
    result: ItemResult
    asks_llm: bool


@dataclass(frozen=True)
class _Verdict:
    answer: Answer
    source: DecisionSource
    evidence: tuple[Evidence, ...] = ()
    note: str = ""


def _language(conversation: Conversation) -> str:
    return conversation.language.split("-")[0].lower()


def _evidence(conversation: Conversation, match: PhraseMatch) -> Evidence:
    return Evidence(
        quote=match.quote,
        start=match.start,
        end=match.end,
        role=conversation.utterances[match.utterance_index].role,
    )


def _heard(
    conversation: Conversation, phrases: Sequence[str], role: Role | None, after: float | None
) -> PhraseMatch | None:
    for match in find_phrases(conversation.utterances, phrases, _language(conversation), role=role):
        if not match.negated and (after is None or match.start >= after):
            return match
    return None


def _trigger(conversation: Conversation, item: ScriptItem) -> tuple[bool | None, PhraseMatch | None]:
    """Whether the item applies (None: the script lists no applicability phrases for this language). An objection
    item applies where `summarize.objections` hears an objection, its phrases in any word order included."""
    phrases = item.applies_if.get(_language(conversation))
    if not item.applies_if or not phrases:
        return None, None
    if item.dialogue == Dialogue.objection:
        # The first objection by phrase or by meaning, as `summarize.objections` reads them: phrases in any word
        # order, less those that take up the rep's own proposal or answer a question about money.
        raised = raised_objections(conversation, phrases)
        if not raised:
            return False, None
        utterance = conversation.utterances[raised[0]]
        return True, PhraseMatch("", raised[0], utterance.start, utterance.end, utterance.text.strip(), negated=False)
    match = _heard(conversation, phrases, Role.customer, None)
    return match is not None, match


def _by_phrases(
    conversation: Conversation, item: ScriptItem, trigger: PhraseMatch | None, last: bool
) -> _Verdict | None:
    language = _language(conversation)
    role = None if item.speaker == Role.unknown else item.speaker
    after = trigger.start if trigger is not None else None
    context = (_evidence(conversation, trigger),) if trigger is not None else ()
    yes_phrases = item.phrases.get(language, [])
    no_phrases = item.no_phrases.get(language, [])
    if yes_phrases and (match := _heard(conversation, yes_phrases, role, after)):
        return _Verdict(
            Answer.yes, DecisionSource.phrases, (*context, _evidence(conversation, match)), f"heard: {match.phrase}"
        )
    if no_phrases and (match := _heard(conversation, no_phrases, role, after)):
        return _Verdict(
            Answer.no, DecisionSource.phrases, (*context, _evidence(conversation, match)), f"heard: {match.phrase}"
        )
    if not last:
        return None
    # As the last word on the item, silence decides: the step was not heard, or nothing forbidden was said.
    if yes_phrases:
        return _Verdict(Answer.no, DecisionSource.phrases, context, "none of the item's phrases heard")
    if no_phrases:
        return _Verdict(Answer.yes, DecisionSource.phrases, context, "none of the forbidden phrases heard")
    return None


def _by_meaning(conversation: Conversation, item: ScriptItem, trigger: PhraseMatch | None) -> _Verdict | None:
    """See `summarize.meaning`: a 'no' only where the step's moment was heard; a close call stays open."""
    after = trigger.start if trigger is not None else None
    context = (_evidence(conversation, trigger),) if trigger is not None else ()
    if item.dialogue is not None:
        found = decide_dialogue(conversation, item, after)
    else:
        found = decide_by_examples(conversation, item, after, context)
    if found is None:
        return None
    # An open verdict (not determined) is kept by `_run` for its candidate quote while later methods are tried.
    return _Verdict(found.answer, DecisionSource.rule, found.evidence, found.note)


def _by_metric(item: ScriptItem, metrics: ConversationMetrics) -> _Verdict | None:
    if item.metric is None:
        return None
    try:
        measured = metrics.value(item.metric.metric)
    except KeyError:
        return None
    answer = Answer.yes if item.metric.holds(measured) else Answer.no
    evidence = Evidence(metric=item.metric.metric, value=measured)
    note = f"{item.metric.metric} = {measured:g} (wanted {item.metric.op} {item.metric.value:g})"
    return _Verdict(answer, DecisionSource.metric, (evidence,), note)


def _run(
    conversation: Conversation,
    item: ScriptItem,
    methods: Sequence[Method],
    metrics: ConversationMetrics,
    trigger: PhraseMatch | None,
    final: bool,
) -> _Verdict | None:
    """The first decided verdict; else the first open one (its best candidate is the evidence), else None."""
    open_verdict: _Verdict | None = None
    for position, method in enumerate(methods):
        # Only the item's final method may read silence as an answer; an earlier one leaves it to the next. Methods
        # before `llm` are never final, so `[phrases, llm, phrases]` asks the LLM before silence counts.
        last = final and position == len(methods) - 1
        if method == Method.phrases:
            verdict = _by_phrases(conversation, item, trigger, last)
        elif method == Method.meaning:
            verdict = _by_meaning(conversation, item, trigger)
        elif method == Method.metric:
            verdict = _by_metric(item, metrics)
        else:
            continue
        if verdict is not None and verdict.answer != Answer.not_determined:
            return verdict
        open_verdict = open_verdict or verdict
    return open_verdict


def decide_item(
    conversation: Conversation, item: ScriptItem, section_id: str, metrics: ConversationMetrics
) -> RuleDecision:
    """One item by rules alone."""
    applies, trigger = _trigger(conversation, item)
    if applies is False:
        result = item_result(
            item,
            section_id,
            Answer.na,
            DecisionSource.applicability,
            note="none of the phrases that make this item apply were heard",
        )
        return RuleDecision(item, result, asks_llm=False)

    methods = list(item.decide_by)
    asks_llm = Method.llm in methods
    before = methods[: methods.index(Method.llm)] if asks_llm else methods
    after = methods[methods.index(Method.llm) + 1 :] if asks_llm else []
    verdict = _run(conversation, item, before, metrics, trigger, final=not asks_llm)
    if verdict is not None and verdict.answer != Answer.not_determined:
        result = item_result(item, section_id, verdict.answer, verdict.source, verdict.evidence, verdict.note)
        return RuleDecision(item, result, asks_llm=False)
    fallback = _run(conversation, item, after, metrics, trigger, final=True) if asks_llm else None
    if fallback is not None and fallback.answer != Answer.not_determined:
        result = item_result(item, section_id, fallback.answer, fallback.source, fallback.evidence, fallback.note)
    elif (open_verdict := verdict or fallback) is not None:
        result = item_result(
            item, section_id, Answer.not_determined, DecisionSource.none, open_verdict.evidence, open_verdict.note
        )
    else:
        context = [_evidence(conversation, trigger)] if trigger is not None else []
        result = item_result(
            item, section_id, Answer.not_determined, DecisionSource.none, context, "no rule reached a decision"
        )
    return RuleDecision(item, result, asks_llm=asks_llm)


def decide_by_rules(conversation: Conversation, script: CallScript, metrics: ConversationMetrics) -> list[RuleDecision]:
    """Every item of the script, in order: decided where rules can, marked for the LLM where its order says so."""
    return [
        decide_item(conversation, item, section.id, metrics) for section in script.sections for item in section.items
    ]
