"""Turning per-item decisions into a scorecard: item scores, section totals, the call's percent, auto-fail.

Scoring (also in scoring_scripts/README.md): an item decided 'yes' scores its weight, 'no' scores 0; N/A and
not-determined items score nothing and count in no maximum. score = Σ weight of 'yes'; max_score = Σ weight of items
decided yes or no; percent = 100 · score / max_score (None when nothing was decided). An item marked auto_fail that is
answered 'no' sets percent to 0. decided_share = items decided yes/no over applicable items (all but N/A); a call
whose items are all N/A has nothing left undecided, so its share is 1. A call with no speech, or where one side never
speaks (a missed call, ring tones, voicemail), is not scored at all: every item not determined, `no_score_reason` set.
A one-sided recording (only one side recorded: `Conversation.one_sided`) is scored on the recorded side's words; the
items that need the missing side (its words, both sides' dialogue or talk metrics, the customer's words that make an
item apply) are not determined, with a note saying that side was not recorded.
"""

from collections.abc import Sequence

from models import (
    Answer,
    CallScript,
    Conversation,
    DecisionSource,
    Evidence,
    ItemResult,
    NoScoreReason,
    Role,
    Scorecard,
    ScriptItem,
    SectionResult,
)

_DECIDED = (Answer.yes, Answer.no)


def item_result(
    item: ScriptItem,
    section_id: str,
    answer: Answer,
    source: DecisionSource,
    evidence: Sequence[Evidence] = (),
    note: str = "",
) -> ItemResult:
    """One item's result, its score following from its answer and weight."""
    score = answer_score(item.weight, answer)
    return ItemResult(
        item_id=item.id,
        section_id=section_id,
        title=item.title,
        answer=answer,
        source=source if answer != Answer.not_determined else DecisionSource.none,
        weight=item.weight,
        score=score,
        required=item.required,
        auto_fail=item.auto_fail,
        evidence=list(evidence),
        note=note,
    )


def answer_score(weight: float, answer: Answer) -> float | None:
    """What an item answered so scores: its weight for 'yes', 0 for 'no', nothing otherwise."""
    return weight if answer == Answer.yes else 0.0 if answer == Answer.no else None


def scored(
    script_id: str, script_version: str, items: Sequence[ItemResult], sections: Sequence[tuple[str, str]]
) -> Scorecard:
    """The scorecard of these item results: the totals of `sections` ((id, title), in order), the call's score,
    percent, auto-fail and decided share, by the rules above."""
    section_results = [
        SectionResult(
            section_id=section_id,
            title=title,
            score=sum(r.weight for r in items if r.section_id == section_id and r.answer == Answer.yes),
            max_score=sum(r.weight for r in items if r.section_id == section_id and r.answer in _DECIDED),
        )
        for section_id, title in sections
    ]
    score = sum(r.weight for r in items if r.answer == Answer.yes)
    max_score = sum(r.weight for r in items if r.answer in _DECIDED)
    auto_failed = any(r.auto_fail and r.answer == Answer.no for r in items)
    applicable = [r for r in items if r.answer != Answer.na]
    decided = [r for r in applicable if r.answer in _DECIDED]
    if auto_failed:
        percent: float | None = 0.0
    elif max_score > 0:
        percent = round(100 * score / max_score, 1)
    else:
        percent = None
    return Scorecard(
        script_id=script_id,
        script_version=script_version,
        items=list(items),
        sections=section_results,
        score=score,
        max_score=max_score,
        percent=percent,
        auto_failed=auto_failed,
        decided_share=round(len(decided) / len(applicable), 4) if applicable else 1.0,
    )


def build_scorecard(script: CallScript, results: Sequence[ItemResult]) -> Scorecard:
    """The scorecard of one call from one result per script item, kept in the script's order."""
    by_id = {result.item_id: result for result in results}
    missing = [item.id for item in script.items() if item.id not in by_id]
    if missing:
        raise ValueError(f"no result for script items: {', '.join(missing)}")
    ordered = [by_id[item.id] for item in script.items()]
    return scored(script.id, script.version, ordered, [(section.id, section.title) for section in script.sections])


# A side with fewer words than this said nothing a script could be judged on: a missed call's "алло", a voicemail
# greeting's callee, a recogniser's stray word in hold music.
MIN_SIDE_WORDS = 5


NO_SCORE_NOTES = {
    NoScoreReason.no_speech: "no speech in the call",
    NoScoreReason.rep_silent: "the rep never speaks in the call",
    NoScoreReason.customer_silent: "the customer never speaks in the call",
}


def no_score_reason(conversation: Conversation) -> NoScoreReason | None:
    """Why a call cannot be scored against a script: no speech at all, or one side never spoke."""
    words = {role: sum(len(u.words) for u in conversation.utterances if u.role == role) for role in Role}
    if not any(words.values()):
        return NoScoreReason.no_speech
    if words[Role.rep] < MIN_SIDE_WORDS:
        return NoScoreReason.rep_silent
    if words[Role.customer] < MIN_SIDE_WORDS:
        return NoScoreReason.customer_silent
    return None


ONE_SIDED_NOTES = {
    Role.rep: "one-sided recording: the rep's side was not recorded",
    Role.customer: "one-sided recording: the customer's side was not recorded",
}


def missing_side(conversation: Conversation) -> Role | None:
    """The side a one-sided recording lacks, if it is one."""
    if not conversation.one_sided:
        return None
    present = set(conversation.roles.values())
    for side, other in ((Role.rep, Role.customer), (Role.customer, Role.rep)):
        if side not in present and other in present:
            return side
    return None


def _needs(item: ScriptItem, side: Role) -> bool:
    return (
        item.speaker == side
        or item.metric is not None
        or item.dialogue is not None
        or (side == Role.customer and bool(item.applies_if))
    )


def one_sided(script: CallScript, results: Sequence[ItemResult], missing: Role) -> Scorecard:
    """A one-sided recording's scorecard: items that need the `missing` side not determined, the rest as decided."""
    items = {item.id: item for item in script.items()}
    kept = [
        item_result(
            items[result.item_id],
            result.section_id,
            Answer.not_determined,
            DecisionSource.none,
            note=ONE_SIDED_NOTES[missing],
        )
        if _needs(items[result.item_id], missing)
        else result
        for result in results
    ]
    return build_scorecard(script, kept)


def unscored(script: CallScript, reason: NoScoreReason) -> Scorecard:
    """A scorecard with every item not determined and no score, so the call stays out of score averages."""
    items = [
        item_result(item, section.id, Answer.not_determined, DecisionSource.none, note=NO_SCORE_NOTES[reason])
        for section in script.sections
        for item in section.items
    ]
    card = scored(script.id, script.version, items, [(section.id, section.title) for section in script.sections])
    return card.model_copy(update={"no_score_reason": reason})
