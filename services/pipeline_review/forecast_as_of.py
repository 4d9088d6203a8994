"""The forecast as it stood on a day: the open pipeline per forecast category, summed in the database from the
snapshot rows in force that day."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.db import DealSnapshot
from services.pipeline_review.snapshots import as_of


def forecast_as_of(
    session: Session,
    day: date,
    *,
    currency: str | None,
    team_id: int | None = None,
    rep_id: int | None = None,
    period: tuple[date, date] | None = None,
) -> dict[str, tuple[int, Decimal]]:
    """category -> (open deals, their amount in `currency`) on `day`; deals in other currencies are left out."""
    rows = as_of(day, team_id=team_id, rep_id=rep_id).where(
        DealSnapshot.outcome == "open", DealSnapshot.currency.is_(None) | (DealSnapshot.currency == currency)
    )
    if period is not None:
        rows = rows.where(DealSnapshot.close_date >= period[0], DealSnapshot.close_date <= period[1])
    inner = rows.subquery()
    query = select(inner.c.category, func.count(), func.coalesce(func.sum(inner.c.amount), 0)).group_by(
        inner.c.category
    )
    return {category or "pipeline": (count, Decimal(total)) for category, count, total in session.execute(query)}
