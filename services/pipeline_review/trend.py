"""The forecast's trend: for each day of a range, the open pipeline per forecast category (commit, best case,
pipeline, omitted) in the team's currency, as the daily snapshots recorded it.

The database sums the changes instead of the days: each snapshot row in force during the range adds its amount on
the day it starts holding (or the range's first day) and takes it away on its `until`; a running sum over the days
gives each day's total. So the answer is a few rows per day however many deals there are.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session

from pipeline.db import DealSnapshot

CATEGORIES = ("commit", "best_case", "pipeline", "omitted")


@dataclass
class Trend:
    days: list[date]
    currency: str | None
    # category -> one sum per day
    series: dict[str, list[Decimal]]


def forecast_trend(
    session: Session,
    first: date,
    last: date,
    *,
    currency: str | None,
    team_id: int | None = None,
    rep_id: int | None = None,
    period: tuple[date, date] | None = None,
) -> Trend:
    """Open deals per category on each day from `first` to `last`; only those closing in `period` when given."""
    count = (last - first).days + 1
    days = [first + timedelta(days=i) for i in range(count)]
    held = [
        DealSnapshot.day <= last,
        DealSnapshot.until > first,
        DealSnapshot.outcome == "open",
        DealSnapshot.gone.is_(False),
        DealSnapshot.amount.is_not(None),
        DealSnapshot.currency.is_(None) | (DealSnapshot.currency == currency),
    ]
    if team_id is not None:
        held.append(DealSnapshot.team_id == team_id)
    if rep_id is not None:
        held.append(DealSnapshot.rep_id == rep_id)
    if period is not None:
        held += [DealSnapshot.close_date >= period[0], DealSnapshot.close_date <= period[1]]
    starts = case((DealSnapshot.day < first, literal(first)), else_=DealSnapshot.day)
    added = select(DealSnapshot.category, starts.label("on"), func.sum(DealSnapshot.amount).label("change"))
    removed = select(DealSnapshot.category, DealSnapshot.until.label("on"), -func.sum(DealSnapshot.amount))
    query = union_all(
        added.where(*held).group_by(DealSnapshot.category, starts),
        removed.where(*held, DealSnapshot.until <= last).group_by(DealSnapshot.category, DealSnapshot.until),
    )
    deltas = {category: [Decimal(0)] * count for category in CATEGORIES}
    for category, on, change in session.execute(query):
        offset = ((on if isinstance(on, date) else date.fromisoformat(on)) - first).days
        deltas[category if category in deltas else "pipeline"][offset] += Decimal(change)
    series: dict[str, list[Decimal]] = {}
    for category, changes in deltas.items():
        running, sums = Decimal(0), []
        for change in changes:
            running += change
            sums.append(running)
        series[category] = sums
    return Trend(days, currency, series)
