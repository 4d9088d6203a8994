"""The head of sales' review queue: script items the analysis could not decide ("not determined") on scored calls,
oldest first, until a reviewer's answer (an item override) settles them.

A not-determined item counts in no score and no ranking; listing it here is how it gets an answer. Calls with no
score at all (no speech, or one side never spoke) are left out: there is nothing on them to review item by item.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models import Answer
from pipeline.db import Call, CallResultRow, ItemOverride, Rep, ScorecardItemRow
from services.team_views import TeamFilter


@dataclass(frozen=True)
class ItemToReview:
    call_id: str
    created_at: datetime
    rep_name: str
    item_id: str
    title: str


def items_to_review(session: Session, chosen: TeamFilter, limit: int = 200) -> list[ItemToReview]:
    settled = and_(
        ItemOverride.call_id == Call.id,
        ItemOverride.item_id == ScorecardItemRow.item_id,
        ItemOverride.script_id == CallResultRow.script_id,
        ItemOverride.script_version == CallResultRow.script_version,
    )
    query = (
        select(Call.id, Call.created_at, Rep.name, ScorecardItemRow.item_id, ScorecardItemRow.title)
        .select_from(Call)
        .join(CallResultRow, CallResultRow.call_id == Call.id)
        .join(ScorecardItemRow, ScorecardItemRow.call_id == Call.id)
        .outerjoin(Rep, Rep.id == Call.rep_id)
        .outerjoin(ItemOverride, settled)
        .where(
            *chosen.conditions(),
            ScorecardItemRow.answer == Answer.not_determined.value,
            CallResultRow.score_percent.is_not(None),
            ItemOverride.id.is_(None),
        )
        .order_by(Call.created_at, Call.id, ScorecardItemRow.id)
        .limit(limit)
    )
    return [ItemToReview(*row) for row in session.execute(query)]
