"""Each deal's stage and amount over time, rebuilt from its change log (pipeline.db.DealChange), so a KPI can ask
what a deal was at any moment: open, won or lost (by the current stage mapping), and for how much in which currency.

A deal moved to another pipeline stays one deal: its stage changes to a stage of the other pipeline and its
outcome follows that stage's mapping; a move between two stages of the same outcome (won in one pipeline, won in
another) is not a new close. A won deal that is reopened is open again from the reopening on.

History starts at a deal's first sync, dated with the CRM's modification time of that first state: a deal first
seen closed is closed from then (for a closed deal that time is about when it closed) and open before; its first
amount holds from its creation.
"""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pipeline.db import Call, CRMStage, Deal, DealCall, DealChange
from services.deals.facts import aware, call_time

CHUNK = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class StageInfo:
    name: str
    outcome: str
    probability: float | None
    forecast_category: str | None


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None


def _value_at(history: list[tuple[datetime, T | None]], moment: datetime) -> T | None:
    """The value in force at the moment. History starts at the first sync: its first value is taken to hold since
    the deal's creation."""
    index = bisect_right([at for at, _ in history], moment)
    return history[max(index - 1, 0)][1] if history else None


@dataclass
class DealTimeline:
    id: int
    name: str
    external_id: str
    rep_id: int | None
    team_id: int | None
    created_at: datetime
    stages: list[tuple[datetime, int | None]] = field(default_factory=list)
    amounts: list[tuple[datetime, Money | None]] = field(default_factory=list)
    first_call_at: datetime | None = None

    def exists_at(self, moment: datetime) -> bool:
        return self.created_at <= moment

    def stage_at(self, moment: datetime) -> int | None:
        return _value_at(self.stages, moment)

    def money_at(self, moment: datetime) -> Money | None:
        return _value_at(self.amounts, moment)

    def outcome_at(self, moment: datetime, stages: dict[int, StageInfo]) -> tuple[str, datetime | None]:
        """open, won or lost at the moment, and since when the deal has had a closed outcome (None while open)."""
        outcome, since = "open", None
        for at, stage_id in self.stages:
            if at > moment:
                break
            new = stages[stage_id].outcome if stage_id in stages else "open"
            if new != outcome:
                outcome, since = new, (at if new != "open" else None)
        return outcome, since


def parse_money(text: object) -> Money | None:
    """A logged amount, as services.deals.store writes it: "150000.00 RUB" (no currency: "150000.00")."""
    if not isinstance(text, str) or not text.strip():
        return None
    amount, _, currency = text.strip().partition(" ")
    try:
        return Money(Decimal(amount), currency.strip() or None)
    except InvalidOperation:
        return None


def stage_infos(session: Session) -> dict[int, StageInfo]:
    return {
        row.id: StageInfo(row.name, row.outcome, row.probability, row.forecast_category)
        for row in session.scalars(select(CRMStage))
    }


def load_timelines(session: Session, scope: ColumnElement[bool] | None) -> list[DealTimeline]:
    """Every deal in scope (deleted ones left out) with its stage and amount history and its first call."""
    query = select(Deal).where(Deal.deleted.is_(False)).order_by(Deal.id)
    deals = list(session.scalars(query.where(scope) if scope is not None else query))
    timelines: list[DealTimeline] = []
    for start in range(0, len(deals), CHUNK):
        chunk = deals[start : start + CHUNK]
        ids = [deal.id for deal in chunk]
        changes: dict[int, list[DealChange]] = defaultdict(list)
        for change in session.scalars(
            select(DealChange)
            .where(DealChange.deal_id.in_(ids), DealChange.field.in_(("stage", "amount")))
            .order_by(DealChange.at, DealChange.id)
        ):
            changes[change.deal_id].append(change)
        first_calls: dict[int, datetime] = {}
        for deal_id, call in session.execute(
            select(DealCall.deal_id, Call).join(Call, Call.id == DealCall.call_id).where(DealCall.deal_id.in_(ids))
        ):
            at = call_time(call)
            if deal_id not in first_calls or at < first_calls[deal_id]:
                first_calls[deal_id] = at
        for deal in chunk:
            timeline = DealTimeline(
                id=deal.id,
                name=deal.name or deal.external_id,
                external_id=deal.external_id,
                rep_id=deal.rep_id,
                team_id=deal.team_id,
                created_at=aware(deal.crm_created_at or deal.synced_at),
                first_call_at=first_calls.get(deal.id),
            )
            for change in changes[deal.id]:
                at = aware(change.at)
                if change.field == "stage":
                    timeline.stages.append((at, change.new if isinstance(change.new, int) else None))
                else:
                    timeline.amounts.append((at, parse_money(change.new)))
            if not timeline.stages:
                timeline.stages.append((timeline.created_at, deal.stage_id))
            if not timeline.amounts and deal.amount is not None:
                timeline.amounts.append((timeline.created_at, Money(deal.amount, deal.currency)))
            timelines.append(timeline)
    return timelines
