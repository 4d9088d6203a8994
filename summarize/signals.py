"""Deal-gap signals for one call, by rules, reusing what the analyze stage has already decided.

Signals are read for Russian and English calls (the languages whose phrases are listed in `summarize.signal_words`);
a call in another language gets only the competitor signals its CRM field proposals carry. Where a rule below
reads a script item or a CRM field, it finds it by its id or name in the built-in script and field schema; a team's
own script or schema takes part by using the same ids and names.

- no_next_step (high): where the script's `next_step_agreed` item is read from the dialogue (`dialogue:
  next_step`, not decided by the LLM), the reading decides (`summarize.next_step`): a proposal the customer
  declined or left vague, or none where it belongs (a vague call-back such as "call me if you need anything" is
  quoted then), is no next step — quoted: the proposal, the customer's reply and the call's closing words; an
  accepted step with a date raises nothing; an accepted one without a date raises next_step_date_missing, quoting
  the proposal and the reply; an unclear reading is read by the rule that follows. Otherwise: none of these was
  found — the script item `next_step_agreed` answered yes (by phrases or the LLM), a `next_step_date` field
  proposal, a next-step phrase (`NEXT_STEP_PHRASES`, anyone, not negated: "назначить демо", "созвониться", "send
  you the proposal"). Absence cannot be quoted: the evidence is the script item's own 'no' quotes ("будем на
  связи") and the call's closing words (its last `CLOSING_UTTERANCES` utterances), where a next step belongs.
  Decided by the script item's source when it answered no, else by phrases.
- next_step_date_missing (medium): a next step was found but no `next_step_date` was proposed and no date or clock
  time ("в 11", "at 3 pm") is said in an utterance that shows the next step or in the one right after it (the
  other side's "давайте в четверг"). The evidence quotes the next step.
- budget_not_discussed (medium): the script item `budget` did not answer yes, no `budget` field proposal was made
  and no budget phrase (`BUDGET_PHRASES`) was said by anyone — negated ones count too, since "нет бюджета"
  discusses the budget. It carries no evidence: nothing said can show a subject never came up. A script whose
  `budget` item is N/A on the call silences it.
- competitor_mentioned (low: worth knowing, not a rep's miss): one signal per competitor proposed for the field
  `competitors_mentioned` (the team's list of competitors and the names they go by lives there), quoting where it
  was named; plus one signal for customer phrases about another vendor or a solution in use
  (`COMPETITOR_PHRASES`: "работаем с другим поставщиком", "we're already using ...") said outside the utterances
  already quoted for a named competitor.
- objection_unanswered, question_unanswered: turn rules, see `summarize.signal_turns`. A customer utterance
  left hanging that is both ("Это дорого?") is reported once, as the objection.

The three absence signals (no next step, no date, no budget) need a sales conversation to be missing from: both
the rep and the customer speak and the call has at least `MIN_WORDS` words; a wrong number, a voicemail or a call
cut off in its first seconds gets none. Signals are ordered by severity, then by when their first quote was said.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models import (
    Answer,
    CallScript,
    Conversation,
    DealSignal,
    DecisionSource,
    Evidence,
    FieldProposal,
    ItemResult,
    Role,
    Scorecard,
    SignalKind,
    SignalSeverity,
)
from models.script import Dialogue
from summarize.extract_dates import find_dates
from summarize.meaning import settings_for
from summarize.next_step import NextStep, Outcome, read_next_step
from summarize.phrases import find_phrases
from summarize.signal_quotes import closing, quote, sentence_at, utterance_index_at
from summarize.signal_turns import objections_unanswered, questions_unanswered
from summarize.signal_words import (
    BUDGET_PHRASES,
    COMPETITOR_PHRASES,
    NEXT_STEP_PHRASES,
    describe,
    message_language,
)

MIN_WORDS = 50
CLOSING_UTTERANCES = 2
NEXT_STEP_ITEMS = ("next_step_agreed",)
BUDGET_ITEMS = ("budget",)
NEXT_STEP_DATE_FIELDS = ("next_step_date",)
BUDGET_FIELDS = ("budget",)
COMPETITOR_FIELDS = ("competitors_mentioned",)
SEVERITY_ORDER = {SignalSeverity.high: 0, SignalSeverity.medium: 1, SignalSeverity.low: 2}
_CLOCK_TIME = re.compile(
    r"\b(?:в|во|к|at|around)\s+\d{1,2}(?:[:.]\d{2})?(?:\s*(?:час\w*|утра|вечера|дня|am|pm|a\.m\.|p\.m\.))?"
    r"|\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Found:
    """What shows a subject came up on the call: quotes, and what decided it."""

    evidence: tuple[Evidence, ...]
    source: DecisionSource
    note: str
    dated: bool = False


def _unique(evidence: Iterable[Evidence]) -> list[Evidence]:
    kept: list[Evidence] = []
    for item in evidence:
        if item not in kept:
            kept.append(item)
    return kept


def _item(scorecard: Scorecard, ids: Sequence[str]) -> ItemResult | None:
    return next((item for item in scorecard.items if item.item_id in ids), None)


def _proposal_source(proposal: FieldProposal) -> DecisionSource:
    return DecisionSource.llm if proposal.source == "llm" else DecisionSource.rule


def _signal(
    kind: SignalKind,
    severity: SignalSeverity,
    language: str,
    evidence: Sequence[Evidence],
    source: DecisionSource,
    note: str,
    subject: str | None = None,
) -> DealSignal:
    return DealSignal(
        kind=kind,
        severity=severity,
        message=describe(kind, subject, language),
        language=language,
        subject=subject,
        evidence=list(evidence),
        source=source,
        note=note,
    )


def _sales_conversation(conversation: Conversation) -> bool:
    roles = {utterance.role for utterance in conversation.utterances}
    words = sum(len(utterance.words) for utterance in conversation.utterances)
    return {Role.rep, Role.customer} <= roles and words >= MIN_WORDS


def _next_steps(
    conversation: Conversation, scorecard: Scorecard, proposals: Sequence[FieldProposal], language: str
) -> list[_Found]:
    """Every sign of an agreed next step: the script item's yes, a proposed date, next-step phrases."""
    found: list[_Found] = []
    item = _item(scorecard, NEXT_STEP_ITEMS)
    if item is not None and item.answer == Answer.yes:
        quoted = tuple(e for e in item.evidence if e.quote)
        found.append(_Found(quoted, item.source, f"script item '{item.item_id}' answered yes"))
    for proposal in proposals:
        if proposal.field in NEXT_STEP_DATE_FIELDS:
            note = f"next-step date proposed: {proposal.value}"
            found.append(_Found(tuple(proposal.evidence), _proposal_source(proposal), note, dated=True))
    for match in find_phrases(conversation.utterances, NEXT_STEP_PHRASES.get(language, []), language):
        if not match.negated:
            utterance = conversation.utterances[match.utterance_index]
            evidence = quote(sentence_at(utterance, match.start), utterance)
            found.append(_Found((evidence,), DecisionSource.phrases, f"heard: {match.phrase}"))
    return found


def _dated(conversation: Conversation, steps: Sequence[_Found]) -> bool:
    """Whether a date or clock time is said where the next step is, or in the reply right after it."""
    utterances = conversation.utterances
    indexes: set[int] = set()
    for step in steps:
        for evidence in step.evidence:
            index = utterance_index_at(conversation, evidence.start)
            if index is not None:
                indexes |= {index, index + 1} if index + 1 < len(utterances) else {index}
    return any(find_dates(utterances[i].text) or _CLOCK_TIME.search(utterances[i].text) for i in indexes)


def _no_next_step(conversation: Conversation, item: ItemResult | None, language: str) -> DealSignal:
    """Quotes the script item's own 'no' ("будем на связи") and the call's closing words, where a next step belongs."""
    said_no = item is not None and item.answer == Answer.no
    first_closing = max(len(conversation.utterances) - CLOSING_UTTERANCES, 0)
    ending = [evidence for u in conversation.utterances[first_closing:] for evidence in closing(u)]
    # A 'no' said among the closing words is already shown by them.
    earlier = [
        e
        for e in (item.evidence if said_no and item is not None else [])
        if e.quote and (utterance_index_at(conversation, e.start) or 0) < first_closing
    ]
    if said_no and item is not None:
        source, verdict = item.source, f"script item '{item.item_id}' answered no; "
    else:
        source, verdict = DecisionSource.phrases, ""
    note = f"{verdict}no next-step phrase or next-step date heard; quoted: how the call ended"
    return _signal(SignalKind.no_next_step, SignalSeverity.high, language, [*earlier, *ending], source, note)


def _read_next_step(
    conversation: Conversation, scorecard: Scorecard, script: CallScript | None, language: str
) -> NextStep | None:
    """The next step as the script's dialogue next-step item reads it (`summarize.next_step`); None when the script
    has no such item, the LLM decided it (its answer then stands, read as before), or the reading is unclear."""
    item = next(
        (i for i in (script.items() if script else []) if i.id in NEXT_STEP_ITEMS and i.dialogue == Dialogue.next_step),
        None,
    )
    result = _item(scorecard, NEXT_STEP_ITEMS)
    if item is None or (result is not None and result.source == DecisionSource.llm):
        return None
    examples = settings_for(item, language)
    step = read_next_step(conversation, examples) if examples.positive else None
    decisive = (Outcome.agreed_dated, Outcome.agreed_undated, Outcome.declined, Outcome.none)
    return step if step is not None and step.outcome in decisive else None


def _from_reading(conversation: Conversation, step: NextStep, language: str) -> list[DealSignal]:
    """Signals from a decisive next-step reading: none for a dated step, a missing date for an accepted step without
    one, else a declined or missing step."""
    if step.outcome == Outcome.agreed_dated:
        return []
    if step.outcome == Outcome.agreed_undated:
        note = f"{step.note}; quoted: the proposal and the customer's reply"
        return [
            _signal(
                SignalKind.next_step_date_missing,
                SignalSeverity.medium,
                language,
                list(step.evidence),
                DecisionSource.rule,
                note,
            )
        ]
    note = f"script item '{NEXT_STEP_ITEMS[0]}' answered no; {step.note}; quoted: it and how the call ended"
    first_closing = max(len(conversation.utterances) - CLOSING_UTTERANCES, 0)
    ending = [evidence for u in conversation.utterances[first_closing:] for evidence in closing(u)]
    # A quote said among the closing words is already shown by them.
    earlier = [e for e in step.evidence if (utterance_index_at(conversation, e.start) or 0) < first_closing]
    evidence = _unique([*earlier, *ending])
    return [_signal(SignalKind.no_next_step, SignalSeverity.high, language, evidence, DecisionSource.rule, note)]


def next_step_signals(
    conversation: Conversation,
    scorecard: Scorecard,
    proposals: Sequence[FieldProposal],
    language: str,
    message_language: str,
    script: CallScript | None = None,
) -> list[DealSignal]:
    """A declined, vague or missing next step (`no_next_step`) or one with no date (`next_step_date_missing`)."""
    reading = _read_next_step(conversation, scorecard, script, language)
    if reading is not None:
        return _from_reading(conversation, reading, message_language)
    steps = _next_steps(conversation, scorecard, proposals, language)
    if not steps:
        return [_no_next_step(conversation, _item(scorecard, NEXT_STEP_ITEMS), message_language)]
    if any(step.dated for step in steps) or _dated(conversation, steps):
        return []
    evidence = _unique(e for step in steps for e in step.evidence)
    note = f"next step found ({steps[0].note}), but no date or time is said with it"
    return [
        _signal(
            SignalKind.next_step_date_missing, SignalSeverity.medium, message_language, evidence, steps[0].source, note
        )
    ]


def budget_signals(
    conversation: Conversation,
    scorecard: Scorecard,
    proposals: Sequence[FieldProposal],
    language: str,
    message_language: str,
) -> list[DealSignal]:
    item = _item(scorecard, BUDGET_ITEMS)
    if item is not None and item.answer in (Answer.yes, Answer.na):
        return []
    if any(proposal.field in BUDGET_FIELDS for proposal in proposals):
        return []
    if find_phrases(conversation.utterances, BUDGET_PHRASES.get(language, []), language):
        return []
    said_no = item is not None and item.answer == Answer.no
    source = item.source if said_no and item is not None else DecisionSource.phrases
    verdict = f"script item '{item.item_id}' answered no; " if said_no and item is not None else ""
    note = f"{verdict}no budget phrase or amount heard; absence cannot be quoted"
    return [_signal(SignalKind.budget_not_discussed, SignalSeverity.medium, message_language, [], source, note)]


def _sentences_of(conversation: Conversation, evidence: Sequence[Evidence]) -> list[Evidence]:
    """Each quote widened to the sentence it stands in: "Битрикс" alone says less than "Мы пробовали Битрикс"."""
    widened = []
    for item in evidence:
        index = utterance_index_at(conversation, item.start)
        if index is None or item.start is None:
            widened.append(item)
            continue
        utterance = conversation.utterances[index]
        widened.append(quote(sentence_at(utterance, item.start), utterance))
    return _unique(widened)


def competitor_signals(
    conversation: Conversation, proposals: Sequence[FieldProposal], language: str, message_language: str
) -> list[DealSignal]:
    signals: list[DealSignal] = []
    named: set[str] = set()
    quoted: set[int] = set()
    for proposal in proposals:
        if proposal.field not in COMPETITOR_FIELDS:
            continue
        names = proposal.value if isinstance(proposal.value, list) else [str(proposal.value)]
        for name in names:
            if name.casefold() in named:
                continue
            named.add(name.casefold())
            sentences = _sentences_of(conversation, proposal.evidence)
            quoted |= {i for e in sentences if (i := utterance_index_at(conversation, e.start)) is not None}
            note = f"'{proposal.field}' proposed {name}"
            source = DecisionSource.phrases if proposal.source == "rule" else DecisionSource.llm
            signals.append(
                _signal(
                    SignalKind.competitor_mentioned,
                    SignalSeverity.low,
                    message_language,
                    sentences,
                    source,
                    note,
                    subject=name,
                )
            )
    utterances = conversation.utterances
    generic = [
        match
        for match in find_phrases(utterances, COMPETITOR_PHRASES.get(language, []), language, role=Role.customer)
        if not match.negated and match.utterance_index not in quoted
    ]
    if generic:
        evidence = _unique(
            quote(sentence_at(utterances[m.utterance_index], m.start), utterances[m.utterance_index]) for m in generic
        )
        note = f"heard: {', '.join(dict.fromkeys(m.phrase for m in generic))}"
        signals.append(
            _signal(
                SignalKind.competitor_mentioned,
                SignalSeverity.low,
                message_language,
                evidence,
                DecisionSource.phrases,
                note,
            )
        )
    return signals


def _first_said(signal: DealSignal) -> float:
    return min((e.start for e in signal.evidence if e.start is not None), default=float("inf"))


def detect_signals(
    conversation: Conversation,
    scorecard: Scorecard,
    proposals: Sequence[FieldProposal],
    *,
    script: CallScript | None = None,
    language: str | None = None,
) -> list[DealSignal]:
    """Every deal-gap signal of one call; messages in `language` (Russian, else English; default: the call's)."""
    call_language = conversation.language.split("-")[0].lower()
    wording = message_language(language or call_language)
    signals: list[DealSignal] = []
    if call_language in NEXT_STEP_PHRASES:
        if _sales_conversation(conversation):
            signals += next_step_signals(conversation, scorecard, proposals, call_language, wording, script)
            signals += budget_signals(conversation, scorecard, proposals, call_language, wording)
        objections = objections_unanswered(conversation, call_language, wording, script)
        # "Это дорого?" left hanging is one gap, the objection, not also a question.
        raised = {utterance_index_at(conversation, s.evidence[0].start) for s in objections if s.evidence}
        questions = [
            s
            for s in questions_unanswered(conversation, call_language, wording)
            if utterance_index_at(conversation, s.evidence[0].start) not in raised
        ]
        signals += objections + questions
    signals += competitor_signals(conversation, proposals, call_language, wording)
    return sorted(signals, key=lambda s: (SEVERITY_ORDER[s.severity], _first_said(s)))
