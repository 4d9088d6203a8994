"""A head of sales overriding scorecard items: the override log, and the scorecard as it stands after overrides.

Every override is kept (pipeline.db.ItemOverride, with the item as the analysis left it); the latest one per item
counts. Overrides belong to the script version they were made on: after a call is re-scored with another version,
its new items start from the analysis again. The call's score is recomputed from the effective answers by the
scoring rules of summarize/scorecard.py, and the call's row keeps that score (and its scorecard_items row the new
answer), so lists and team figures agree with the call page.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Answer, Scorecard
from models.errors import BadInput
from pipeline.db import CallResultRow, ItemOverride, ScorecardItemRow
from summarize.scorecard import answer_score, scored

OVERRIDE_ANSWERS = (Answer.yes, Answer.no, Answer.na)
MAX_REASON_CHARS = 2000


class OverrideRefused(BadInput, ValueError):
    """An override that cannot be stored; the message says why, `problem` names it for translated pages:
    no_item, bad_answer, no_reason or long_reason."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class Override:
    """The override in force on one item."""

    item_id: str
    answer: Answer
    ai_answer: Answer
    reason: str
    actor: str
    at: datetime


def effective_scorecard(scorecard: Scorecard, answers: Mapping[str, Answer]) -> Scorecard:
    """`scorecard` with the items in `answers` answered so, and its sections, score, percent, auto-fail and decided
    share recomputed by summarize.scorecard's rules. Answers for unknown items are ignored."""
    items = [
        item.model_copy(
            update={"answer": answers[item.item_id], "score": answer_score(item.weight, answers[item.item_id])}
        )
        if item.item_id in answers
        else item
        for item in scorecard.items
    ]
    sections = [(section.section_id, section.title) for section in scorecard.sections]
    return scored(scorecard.script_id, scorecard.script_version, items, sections)


def overrides_in_force(session: Session, call_id: str, scorecard: Scorecard) -> dict[str, Override]:
    """The latest override of each item of `scorecard` (its script version only), by item id."""
    rows = session.scalars(
        select(ItemOverride)
        .where(
            ItemOverride.call_id == call_id,
            ItemOverride.script_id == scorecard.script_id,
            ItemOverride.script_version == scorecard.script_version,
        )
        .order_by(ItemOverride.at, ItemOverride.id)
    ).all()
    items = {item.item_id for item in scorecard.items}
    latest: dict[str, Override] = {}
    for row in rows:
        if row.item_id in items:
            latest[row.item_id] = Override(
                item_id=row.item_id,
                answer=Answer(row.answer),
                ai_answer=Answer(row.ai_answer["answer"]),
                reason=row.reason,
                actor=row.actor,
                at=row.at,
            )
    return latest


def override_item(
    session: Session,
    call_id: str,
    scorecard: Scorecard,
    item_id: str,
    answer: str,
    reason: str,
    *,
    user_id: int | None,
    actor: str,
) -> Scorecard:
    """Store an override of one item of the call's analysed `scorecard`, update the call's score, and return the
    scorecard as it now stands. Raises OverrideRefused naming the problem; nothing is stored then."""
    item = next((i for i in scorecard.items if i.item_id == item_id), None)
    if item is None:
        raise OverrideRefused("no_item", f"the call's scorecard has no item '{item_id}'")
    try:
        chosen = Answer(answer)
    except ValueError:
        chosen = None
    if chosen not in OVERRIDE_ANSWERS:
        allowed = ", ".join(a.value for a in OVERRIDE_ANSWERS)
        raise OverrideRefused("bad_answer", f"answer '{answer}' is not one of {allowed}")
    reason = reason.strip()
    if not reason:
        raise OverrideRefused("no_reason", "a reason is required")
    if len(reason) > MAX_REASON_CHARS:
        raise OverrideRefused("long_reason", f"the reason is longer than {MAX_REASON_CHARS} characters")
    session.add(
        ItemOverride(
            call_id=call_id,
            item_id=item_id,
            script_id=scorecard.script_id,
            script_version=scorecard.script_version,
            ai_answer=item.model_dump(mode="json"),
            answer=chosen.value,
            reason=reason,
            user_id=user_id,
            actor=actor,
        )
    )
    session.flush()
    answers = {o.item_id: o.answer for o in overrides_in_force(session, call_id, scorecard).values()}
    shown = effective_scorecard(scorecard, answers)
    row = session.get(CallResultRow, call_id)
    if row is not None and row.script_id == scorecard.script_id and row.script_version == scorecard.script_version:
        row.score_percent = shown.percent
        row.auto_failed = shown.auto_failed
        session.execute(
            update(ScorecardItemRow)
            .where(ScorecardItemRow.call_id == call_id, ScorecardItemRow.item_id == item_id)
            .values(answer=chosen.value, score=answer_score(item.weight, chosen))
        )
    return shown
