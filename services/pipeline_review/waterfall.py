"""The pipeline waterfall between two days, read from the daily snapshots.

The pipeline of a day is the open deals in scope (a team or a rep) whose close date falls in the close period, in
the team's currency. Every deal counted on either day lands in one bar by comparing its two states:

- counted on both days: `amount_up` / `amount_down` by the change of its amount (unchanged: no bar);
- counted at the start only: `won`, `lost` (also deleted), `pushed_out` (still open, close date moved out of the
  period) or `moved_out` (still open, now another team's or rep's, or in another currency);
- counted at the end only: `new` (created, or reopened after being won or lost), `pulled_in` (open before, close
  date moved into the period) or `moved_in`.

So the start plus the bars is the end, exactly. Only the two days are compared: a deal won and reopened between
them is open at both ends and shows no bar. Deals in other currencies are not converted: they are listed apart.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.db import Deal, DealSnapshot, PipelineTarget
from services.pipeline_review.snapshots import as_of

STEPS = ("new", "pulled_in", "moved_in", "amount_up", "amount_down", "pushed_out", "moved_out", "won", "lost")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Scope:
    team_id: int | None = None
    rep_id: int | None = None

    def holds(self, row: Any) -> bool:
        return (self.team_id is None or row.team_id == self.team_id) and (
            self.rep_id is None or row.rep_id == self.rep_id
        )


@dataclass
class WaterfallDeal:
    deal_id: int
    name: str
    external_id: str
    before: Decimal
    after: Decimal
    change: Decimal


@dataclass
class Waterfall:
    start_day: date
    end_day: date
    period: tuple[date, date]
    currency: str | None
    start: Decimal = ZERO
    end: Decimal = ZERO
    steps: dict[str, list[WaterfallDeal]] = field(default_factory=lambda: {step: [] for step in STEPS})
    # Other currencies: currency -> (deals, amount) of the end day's pipeline.
    apart: dict[str, tuple[int, Decimal]] = field(default_factory=dict)

    def total(self, step: str) -> Decimal:
        return sum((deal.change for deal in self.steps[step]), ZERO)


def team_currency(session: Session, team_id: int | None, on: date) -> str | None:
    """The currency of the team's target for a period holding `on`, else the one most of its deals use."""
    if team_id is not None:
        target = session.scalar(
            select(PipelineTarget.currency)
            .where(
                PipelineTarget.team_id == team_id, PipelineTarget.period_start <= on, PipelineTarget.period_end >= on
            )
            .limit(1)
        )
        if target:
            return target
    query = select(Deal.currency).where(Deal.currency.is_not(None), Deal.deleted.is_(False))
    if team_id is not None:
        query = query.where(Deal.team_id == team_id)
    return session.scalar(query.group_by(Deal.currency).order_by(func.count().desc(), Deal.currency).limit(1))


def _in_period(row: Any, period: tuple[date, date]) -> bool:
    return row.close_date is not None and period[0] <= row.close_date <= period[1]


def _open_rows(session: Session, day: date, scope: Scope, period: tuple[date, date]) -> dict[int, Any]:
    query = as_of(day, team_id=scope.team_id, rep_id=scope.rep_id).where(
        DealSnapshot.outcome == "open",
        DealSnapshot.close_date >= period[0],
        DealSnapshot.close_date <= period[1],
    )
    return {row.deal_id: row for row in session.execute(query)}


def _rows_of(session: Session, day: date, deal_ids: list[int]) -> dict[int, Any]:
    """Each deal's row in force on `day`, deleted or not."""
    rows: dict[int, Any] = {}
    for start in range(0, len(deal_ids), 5000):
        chunk = deal_ids[start : start + 5000]
        query = select(*DealSnapshot.__table__.columns).where(
            DealSnapshot.deal_id.in_(chunk), DealSnapshot.day <= day, DealSnapshot.until > day
        )
        rows.update({row.deal_id: row for row in session.execute(query)})
    return rows


def _step(before: Any, after: Any, scope: Scope, period: tuple[date, date], currency: str | None) -> str:
    """The bar of a deal counted on exactly one of the two days (see the module's description)."""
    if after is None or after.gone:
        return "lost"
    if before is not None and _counted(before, scope, period, currency):
        if after.outcome in ("won", "lost"):
            return str(after.outcome)
        if not scope.holds(after) or not _same_currency(after, currency):
            return "moved_out"
        return "pushed_out"
    if before is None or before.gone or before.outcome != "open":
        return "new"
    if not scope.holds(before) or not _same_currency(before, currency):
        return "moved_in"
    return "pulled_in"


def _same_currency(row: Any, currency: str | None) -> bool:
    return row.currency is None or row.currency == currency


def _counted(row: Any, scope: Scope, period: tuple[date, date], currency: str | None) -> bool:
    return (
        not row.gone
        and row.outcome == "open"
        and scope.holds(row)
        and _in_period(row, period)
        and _same_currency(row, currency)
    )


def _value(row: Any) -> Decimal:
    return Decimal(row.amount) if row is not None and row.amount is not None else ZERO


def waterfall(
    session: Session,
    start_day: date,
    end_day: date,
    period: tuple[date, date],
    scope: Scope,
    currency: str | None = None,
) -> Waterfall:
    """The waterfall of the pipeline closing in `period`, from `start_day`'s snapshot to `end_day`'s."""
    currency = currency or team_currency(session, scope.team_id, end_day)
    result = Waterfall(start_day, end_day, period, currency)
    first = _open_rows(session, start_day, scope, period)
    last = _open_rows(session, end_day, scope, period)
    first.update(_rows_of(session, start_day, [d for d in last if d not in first]))
    last.update(_rows_of(session, end_day, [d for d in first if d not in last]))
    names = dict.fromkeys(first.keys() | last.keys())
    apart: dict[str, list[Decimal]] = defaultdict(list)
    moved: list[tuple[str, int, Decimal, Decimal]] = []
    for deal_id in names:
        before, after = first.get(deal_id), last.get(deal_id)
        counted_before = before is not None and _counted(before, scope, period, currency)
        counted_after = after is not None and _counted(after, scope, period, currency)
        if counted_after:
            result.end += _value(after)
        elif (
            after is not None
            and not after.gone
            and after.outcome == "open"
            and scope.holds(after)
            and _in_period(after, period)
            and after.currency
        ):
            apart[after.currency].append(_value(after))
        if counted_before:
            result.start += _value(before)
        if counted_before and counted_after:
            change = _value(after) - _value(before)
            if change:
                moved.append(("amount_up" if change > 0 else "amount_down", deal_id, _value(before), _value(after)))
        elif counted_before:
            moved.append((_step(before, after, scope, period, currency), deal_id, _value(before), ZERO))
        elif counted_after:
            moved.append((_step(before, after, scope, period, currency), deal_id, ZERO, _value(after)))
    ids = [deal_id for _, deal_id, _, _ in moved]
    labels: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query = select(Deal.id, Deal.name, Deal.external_id).where(Deal.id.in_(chunk))
        labels.update({row.id: (row.name, row.external_id) for row in session.execute(query)})
    for step, deal_id, before_value, after_value in moved:
        name, external_id = labels.get(deal_id, ("", ""))
        change = after_value - before_value
        result.steps[step].append(WaterfallDeal(deal_id, name, external_id, before_value, after_value, change))
    for deals in result.steps.values():
        deals.sort(key=lambda deal: abs(deal.change), reverse=True)
    result.apart = {code: (len(values), sum(values, ZERO)) for code, values in sorted(apart.items())}
    return result
