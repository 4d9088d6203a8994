"""Periods (a month, a quarter, a year, or any range of days) and each team's target for a period: what the team
should win, in one currency, the team's currency for the KPIs of that period.

A period without a target of its own inside a longer period with one (a month of a quarter, a week of a month)
gets a share of that target by days: the quarter's target × the month's days ÷ the quarter's days. The shortest
such period's target is the one shared.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import PipelineTarget, Team

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class TargetRefused(BadInput, ValueError):
    """A period, amount, currency or team that cannot make a target."""


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included; `kind` is month, quarter, year or days."""

    start: date
    end: date
    kind: str

    @classmethod
    def parse(cls, text: str) -> "Period":
        """`2026-12`, `2026-Q4`, `2026` or `2026-10-01..2026-11-15`."""
        text = text.strip()
        try:
            if found := _MONTH.match(text):
                year, month = int(found[1]), int(found[2])
                return cls(date(year, month, 1), _month_end(year, month), "month")
            if found := _QUARTER.match(text):
                year, quarter = int(found[1]), int(found[2])
                return cls(date(year, quarter * 3 - 2, 1), _month_end(year, quarter * 3), "quarter")
            if found := _YEAR.match(text):
                return cls(date(int(found[1]), 1, 1), date(int(found[1]), 12, 31), "year")
            if found := _RANGE.match(text):
                start, end = date.fromisoformat(found[1]), date.fromisoformat(found[2])
                if end < start:
                    raise TargetRefused(f"period {text!r} ends before it starts")
                return cls(start, end, "days")
        except ValueError as exc:
            if isinstance(exc, TargetRefused):
                raise
            raise TargetRefused(f"period {text!r}: {exc}") from None
        raise TargetRefused(f"period {text!r}: give a month (2026-12), a quarter (2026-Q4), a year or FROM..TO dates")

    @classmethod
    def spanning(cls, start: date, end: date) -> "Period":
        """The period of exactly these days: a month, a quarter or a year when they make one."""
        if start.day == 1 and end == _month_end(end.year, end.month) and start.year == end.year:
            months = end.month - start.month + 1
            if months == 1:
                return cls(start, end, "month")
            if months == 3 and start.month % 3 == 1:
                return cls(start, end, "quarter")
            if months == 12:
                return cls(start, end, "year")
        return cls(start, end, "days")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def month_of(cls, day: date) -> "Period":
        return cls(day.replace(day=1), _month_end(day.year, day.month), "month")

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start}..{self.end}"

    def shifted(self, steps: int) -> "Period":
        """The period `steps` periods of the same kind later (earlier when negative)."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind] * steps
            year, month = _add_months(self.start.year, self.start.month, months)
            last_year, last_month = _add_months(self.end.year, self.end.month, months)
            return Period(date(year, month, 1), _month_end(last_year, last_month), self.kind)
        length = (self.end - self.start).days + 1
        return Period(self.start + timedelta(days=length * steps), self.end + timedelta(days=length * steps), "days")


def _team(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise TargetRefused(f"no team {name!r}")
    return team


def set_target(session: Session, team: str, period: Period, amount: str, currency: str, actor: str) -> PipelineTarget:
    """Set (or replace) the team's target for exactly this period."""
    try:
        value = Decimal(amount.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise TargetRefused(f"target amount {amount!r} is not a number") from None
    if not value.is_finite() or value <= 0 or value >= Decimal("1e16"):
        raise TargetRefused(f"target amount must be a positive number below 10^16, not {amount}")
    currency = currency.strip().upper()
    if not _CURRENCY.match(currency):
        raise TargetRefused(f"currency {currency!r} is not an ISO 4217 code such as RUB or USD")
    team_row = _team(session, team)
    row = session.scalar(
        select(PipelineTarget).where(
            PipelineTarget.team_id == team_row.id,
            PipelineTarget.period_start == period.start,
            PipelineTarget.period_end == period.end,
        )
    )
    if row is None:
        row = PipelineTarget(team_id=team_row.id, period_start=period.start, period_end=period.end)
        session.add(row)
    row.amount, row.currency, row.set_by = value.quantize(Decimal("0.01")), currency, actor
    session.flush()
    return row


def list_targets(session: Session, team: str | None = None) -> list[tuple[str, PipelineTarget]]:
    query = (
        select(Team.name, PipelineTarget)
        .join(PipelineTarget, PipelineTarget.team_id == Team.id)
        .order_by(Team.name, PipelineTarget.period_start, PipelineTarget.period_end)
    )
    if team is not None:
        query = query.where(Team.id == _team(session, team).id)
    return [(name, target) for name, target in session.execute(query)]


@dataclass(frozen=True)
class Target:
    """A team's target for a period: the one set for it, or a share of a longer period's (`share_of`)."""

    amount: Decimal
    currency: str
    share_of: Period | None = None


def target_for(session: Session, team_id: int, period: Period) -> Target | None:
    """The target set for the period, else its share by days of the shortest period containing it that has one
    (months, quarters and years nest: the latest start and then the earliest end is the shortest)."""
    found = session.scalar(
        select(PipelineTarget)
        .where(
            PipelineTarget.team_id == team_id,
            PipelineTarget.period_start <= period.start,
            PipelineTarget.period_end >= period.end,
        )
        .order_by(PipelineTarget.period_start.desc(), PipelineTarget.period_end)
        .limit(1)
    )
    if found is None:
        return None
    if (found.period_start, found.period_end) == (period.start, period.end):
        return Target(found.amount, found.currency)
    longer = Period.spanning(found.period_start, found.period_end)
    share = (found.amount * period.days / longer.days).quantize(Decimal("0.01"))
    return Target(share, found.currency, longer)
