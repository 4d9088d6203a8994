"""The analyze stage's core: metrics, rules, then one constrained LLM request for what rules left open.

Trust rules for LLM answers: every 'yes'/'no'/value must carry a quote that `ground_quote` finds in the transcript;
the evidence kept is the transcript's own words. An answer whose quote is missing or not found is dropped (the item
stays undecided, the field gets no proposal) and counted in `Analysis.dropped_claims`. 'n/a' needs no quote (absence
cannot be quoted) but is only taken for items that allow it. LLM field proposals get confidence `LLM_CONFIDENCE`:
below deterministic extractors, since a small model's grounded value can still be the wrong reading of the quote.

Who decides a script item first is the caller's choice (`llm_first`, from the `llm_items` setting). A weak model
(the starter) reads a step less reliably than the script's phrases: rules decide first and the LLM gets only what
they leave open. A strong model is asked about every item whose `decide_by` names `llm`, and its grounded answer
wins over the rules (their own result stays the fallback when it gives none), since phrases miss paraphrases and
fire on look-alikes a strong model reads right: measured against a perfect LLM (`benchmarks/oracle_server.py`,
`blind_eval --oracle`), rules first kept 92.7 % of its item answers, the LLM first 100 %.
"""

import logging
from collections.abc import Sequence

from models import (
    Analysis,
    Answer,
    CallInfo,
    CallScript,
    Conversation,
    DecisionSource,
    FieldProposal,
    FieldSchema,
    FieldSpec,
    ItemResult,
    Method,
    NoScoreReason,
    NoteTemplate,
)
from summarize.call_card import build_call_card
from summarize.chunks import ask_in_parts
from summarize.grounding import ground_quote
from summarize.llm.base import LLMBackend
from summarize.metrics import measure
from summarize.prompt import build_prompt
from summarize.rules import RuleDecision, decide_by_rules
from summarize.scorecard import build_scorecard, item_result, missing_side, no_score_reason, one_sided, unscored
from summarize.sections import fill_sections, section_requests
from summarize.signals import detect_signals
from summarize.summary import gated_summary

logger = logging.getLogger(__name__)

LLM_CONFIDENCE = 0.6
LLM_MAX_TOKENS = 1280


def _llm_item(conversation: Conversation, decision: RuleDecision, answer: object) -> tuple[ItemResult | None, bool]:
    """The item's result from the LLM's answer, and whether a claim was dropped; None keeps the rules' fallback."""
    if not isinstance(answer, dict):
        return None, False
    item, section_id = decision.item, decision.result.section_id
    verdict = str(answer.get("answer", Answer.not_determined.value))
    quote = answer.get("quote")
    if verdict == Answer.na.value:
        if not item.allow_na:
            return None, True
        return item_result(
            item, section_id, Answer.na, DecisionSource.llm, note="the LLM found it does not apply"
        ), False
    if verdict not in (Answer.yes.value, Answer.no.value):
        return None, False
    if not isinstance(quote, str) or not quote.strip():
        return None, True
    evidence = ground_quote(conversation, quote)
    if evidence is None:
        return None, True
    return item_result(
        item, section_id, Answer(verdict), DecisionSource.llm, [evidence], note="decided by the LLM"
    ), False


def _asked_items(decisions: Sequence[RuleDecision], llm_first: bool) -> list[RuleDecision]:
    """The items the LLM is asked about: what the rules left open, or with `llm_first` every item it may decide."""
    if llm_first:
        return [d for d in decisions if Method.llm in d.item.decide_by]
    return [d for d in decisions if d.asks_llm]


def _llm_proposal(conversation: Conversation, spec: FieldSpec, answer: object) -> tuple[FieldProposal | None, bool]:
    if not isinstance(answer, dict) or answer.get("value") in (None, ""):
        return None, False
    value = str(answer["value"]).strip()
    if spec.allowed_values and value not in spec.allowed_values:
        return None, True
    quote = answer.get("quote")
    evidence = ground_quote(conversation, quote) if isinstance(quote, str) and quote.strip() else None
    if evidence is None:
        return None, True
    proposal = FieldProposal(field=spec.name, value=value, evidence=[evidence], confidence=LLM_CONFIDENCE, source="llm")
    return proposal, False


def analyze(
    conversation: Conversation,
    script: CallScript,
    fields: FieldSchema,
    call: CallInfo,
    llm: LLMBackend | None,
    *,
    rule_proposals: Sequence[FieldProposal] = (),
    summary_language: str | None = None,
    max_prompt_chars: int = 6000,
    max_tokens: int = LLM_MAX_TOKENS,
    template: NoteTemplate | None = None,
    llm_first: bool = False,
) -> Analysis:
    """Metrics, scorecard, summary, LLM field proposals and deal-gap signals for one call.

    Rules decide what they can; one LLM request covers the open items, the summary (with the note `template`'s
    sections, when given) and the fields with a question that no rule proposed; a call too long for the model's
    context is asked in parts (`summarize.chunks`). Without an LLM, or when it fails, open items stay
    not_determined and the template's sections are extractive. The returned proposals are `rule_proposals`
    followed by the grounded LLM proposals. Deal-gap signals (`summarize.signals`) are read from the final
    scorecard and proposals, worded in the summary's language. The summary is the call card
    (`summarize.call_card`, built from all of these) with its text, or the LLM's text where it passes
    `summarize.summary_gate`.
    """
    # IVR menus, voicemail greetings and hold music are voices, not people: no talk time, nothing to score.
    conversation = conversation.people_only()
    language = summary_language or conversation.language
    metrics = measure(conversation)
    decisions = decide_by_rules(conversation, script, metrics)
    open_items = _asked_items(decisions, llm_first) if llm is not None else []
    proposed = {p.field for p in rule_proposals}
    asked_fields = [spec for spec in fields.fields if spec.question and spec.name not in proposed]

    requests = section_requests(template, language) if template is not None else []
    answer: dict | None = None
    section_answers: dict[str, list[object]] | None = None
    parts = 1
    if llm is not None:
        asked = ask_in_parts(
            llm,
            conversation,
            lambda part, index: build_prompt(
                part,
                [d.item for d in open_items],
                asked_fields,
                language=language,
                max_chars=max_prompt_chars,
                sections=requests,
                part=index,
            ),
            language=language,
            max_chars=max_prompt_chars,
            max_tokens=max_tokens,
            call_id=call.call_id,
        )
        answer, parts = asked.answer, asked.parts
        section_answers = asked.sections if answer is not None else None

    results = {d.item.id: d.result for d in decisions}
    llm_proposals: list[FieldProposal] = []
    dropped = 0
    summary_answer: dict | None = None
    if answer is not None:
        item_answers = answer.get("items") or {}
        for decision in open_items:
            result, was_dropped = _llm_item(conversation, decision, item_answers.get(decision.item.id))
            dropped += was_dropped
            if result is not None:
                results[decision.item.id] = result
        field_answers = answer.get("fields") or {}
        for spec in asked_fields:
            proposal, was_dropped = _llm_proposal(conversation, spec, field_answers.get(spec.name))
            dropped += was_dropped
            if proposal is not None:
                llm_proposals.append(proposal)
        summary_answer = answer.get("summary") or {}
    sections, lost = (
        fill_sections(conversation, template, language, section_answers, rule_proposals) if template else ([], 0)
    )
    dropped += lost
    if dropped:
        logger.info("call %s: dropped %d LLM claims whose quotes are not in the transcript", call.call_id, dropped)

    unscorable = no_score_reason(conversation)
    missing = missing_side(conversation)
    if missing is not None and unscorable != NoScoreReason.no_speech:
        scorecard = one_sided(script, [results[item.id] for item in script.items()], missing)
    elif unscorable is not None:
        scorecard = unscored(script, unscorable)
    else:
        scorecard = build_scorecard(script, [results[item.id] for item in script.items()])
    proposals = [*rule_proposals, *llm_proposals]
    signals = (
        []
        if unscorable or missing
        else detect_signals(conversation, scorecard, proposals, script=script, language=language)
    )
    card = build_call_card(conversation, scorecard, proposals, signals, language)
    summary = gated_summary(card, summary_answer, conversation, language, call.call_id).model_copy(
        update={
            "chunks": parts,
            "template_id": template.id if template else None,
            "template_version": template.version if template else None,
            "sections": sections,
        }
    )
    return Analysis(
        metrics=metrics,
        summary=summary,
        scorecard=scorecard,
        proposals=proposals,
        signals=signals,
        dropped_claims=dropped,
        llm_model=llm.info if llm is not None else None,
    )
