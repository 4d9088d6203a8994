"""Pipeline KPIs for a team or one rep over a period, each with the deals behind it.

Every KPI is read from the deals' history as it stood at the end of the period (or now, for a period not over):
a deal is open, won or lost by its stage then, and counts for what it was worth then. Amounts are summed in the
team's currency (its target's for the period, else the one most of its deals carry; a deal with no currency is
taken to be in it); deals in another currency are listed apart and never summed in. Period days are the team's
time zone's days.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from statistics import fmean
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import Deal, Rep, Team
from services.pipeline_review.targets import Period, target_for
from services.pipeline_review.timelines import DealTimeline, StageInfo, load_timelines, stage_infos

KPI_KEYS = (
    "open_deals",
    "pipeline_value",
    "won_value",
    "coverage",
    "average_deal_size",
    "win_rate",
    "sales_cycle_days",
    "velocity",
    "lead_to_first_call_days",
)
# Periods of the same kind drawn in each KPI's sparkline, this one last.
TREND_PERIODS = 6
DAY = 86400


@dataclass(frozen=True)
class DealRef:
    """A deal behind a KPI, with what it contributes (an amount, a number of days)."""

    id: int
    name: str
    external_id: str
    rep_id: int | None
    amount: Decimal | None
    currency: str | None
    days: float | None = None


@dataclass
class KPI:
    key: str
    value: Decimal | float | int | None
    deals: list[DealRef] = field(default_factory=list)
    trend: list[float] = field(default_factory=list)


@dataclass
class KPIFigures:
    kpis: dict[str, KPI]
    open_apart: list[DealRef] = field(default_factory=list)
    """Open deals in another currency: counted as open deals, their amounts never summed in."""
    won_apart: list[DealRef] = field(default_factory=list)
    """Deals won in the period in another currency: counted in the win rate, their amounts never summed in."""

    @property
    def apart(self) -> list[DealRef]:
        return self.open_apart + self.won_apart

    def apart_totals(self, deals: list[DealRef]) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for ref in deals:
            totals[ref.currency or ""] = totals.get(ref.currency or "", Decimal(0)) + (ref.amount or Decimal(0))
        return dict(sorted(totals.items()))


@dataclass
class KPIReport:
    team_id: int
    team: str
    rep_id: int | None
    period: Period
    as_of: datetime
    currency: str
    target: Decimal | None
    figures: KPIFigures
    reps: list[tuple[int, str, KPIFigures]] = field(default_factory=list)
    """Per rep of the team (team reports only), in name order."""


def team_zone(team: Team) -> ZoneInfo:
    try:
        return ZoneInfo(team.timezone) if team.timezone else ZoneInfo("UTC")
    except ZoneInfoNotFoundError:
        return ZoneInfo("UTC")


def period_moments(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first and the last moment of the period's days in the zone, as UTC."""
    start = datetime.combine(period.start, time(), zone).astimezone(UTC)
    after = datetime.combine(period.end + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, after - timedelta(microseconds=1)


def _ref(deal: DealTimeline, money: tuple[Decimal, str | None] | None, days: float | None = None) -> DealRef:
    amount, currency = money if money else (None, None)
    return DealRef(deal.id, deal.name, deal.external_id, deal.rep_id, amount, currency, days)


def _mean(refs: list[DealRef]) -> float | None:
    return fmean(ref.days for ref in refs if ref.days is not None) if refs else None


def _total(refs: list[DealRef]) -> Decimal:
    return sum((ref.amount or Decimal(0) for ref in refs), Decimal(0))


def compute(
    deals: list[DealTimeline],
    stages: dict[int, StageInfo],
    start: datetime,
    moment: datetime,
    currency: str,
    target: Decimal | None,
) -> KPIFigures:
    """The KPIs of the deals between `start` and `moment` (both included), summing amounts in `currency`."""
    open_: list[DealRef] = []
    open_apart: list[DealRef] = []
    won: list[DealRef] = []
    won_apart: list[DealRef] = []
    closed: list[DealRef] = []
    cycles: list[DealRef] = []
    first_calls: list[DealRef] = []
    for deal in deals:
        if not deal.exists_at(moment):
            continue
        found = deal.money_at(moment)
        money = (found.amount, found.currency) if found else None
        ours = found is None or found.currency in (None, currency)
        outcome, since = deal.outcome_at(moment, stages)
        if outcome == "open":
            (open_ if ours else open_apart).append(_ref(deal, money))
        elif since is not None and since >= start:
            closed.append(_ref(deal, money))
            if outcome == "won":
                (won if ours else won_apart).append(_ref(deal, money))
                cycles.append(_ref(deal, money, (since - deal.created_at).total_seconds() / DAY))
        if start <= deal.created_at and deal.first_call_at is not None and deal.first_call_at <= moment:
            waited = max((deal.first_call_at - deal.created_at).total_seconds(), 0) / DAY
            first_calls.append(_ref(deal, money, waited))
    every_open = open_ + open_apart
    pipeline_value, won_value = _total(open_), _total(won)
    win_rate = len(cycles) / len(closed) if closed else None
    average = (won_value / len(won)).quantize(Decimal("0.01")) if won else None
    cycle = _mean(cycles)
    velocity = None
    if win_rate is not None and average is not None and cycle is not None:
        # A deal won within the hour it was created would divide by nearly nothing: an hour is the floor.
        per_day = Decimal(len(every_open)) * Decimal(str(win_rate)) * average / Decimal(str(max(cycle, 1 / 24)))
        velocity = per_day.quantize(Decimal("0.01"))
    remaining = target - won_value if target is not None else None
    coverage = float(pipeline_value / remaining) if remaining is not None and remaining > 0 else None
    kpis = [
        KPI("open_deals", len(every_open), every_open),
        KPI("pipeline_value", pipeline_value, open_),
        KPI("won_value", won_value, won),
        KPI("coverage", coverage, open_),
        KPI("average_deal_size", average, won),
        KPI("win_rate", win_rate, closed),
        KPI("sales_cycle_days", cycle, cycles),
        KPI("velocity", velocity, every_open),
        KPI("lead_to_first_call_days", _mean(first_calls), first_calls),
    ]
    return KPIFigures({kpi.key: kpi for kpi in kpis}, open_apart, won_apart)


def team_currency(session: Session, team_id: int, target_currency: str | None) -> str:
    """The target's currency, else the one most of the team's deals carry (RUB for a team with none)."""
    if target_currency:
        return target_currency
    counts: Counter[str] = Counter(
        currency
        for currency in session.scalars(
            select(Deal.currency).where(Deal.team_id == team_id, Deal.deleted.is_(False), Deal.currency.is_not(None))
        )
        if currency is not None
    )
    return min(counts, key=lambda code: (-counts[code], code)) if counts else "RUB"


def _trend(
    deals: list[DealTimeline],
    stages: dict[int, StageInfo],
    session: Session,
    team: Team,
    period: Period,
    now: datetime,
    currency: str,
) -> dict[str, list[float]]:
    zone = team_zone(team)
    trend: dict[str, list[float]] = {key: [] for key in KPI_KEYS}
    for step in range(1 - TREND_PERIODS, 1):
        earlier = period.shifted(step)
        start, end = period_moments(earlier, zone)
        if start > now:
            break
        target = target_for(session, team.id, earlier)
        same = target.amount if target is not None and target.currency == currency else None
        figures = compute(deals, stages, start, min(end, now), currency, same)
        for key, kpi in figures.kpis.items():
            trend[key].append(float(kpi.value) if kpi.value is not None else 0.0)
    return trend


def pipeline_kpis(
    session: Session, team_id: int, period: Period, now: datetime, rep_id: int | None = None
) -> KPIReport | None:
    """The KPIs of the team (or of one of its reps) for the period; None for a team that does not exist."""
    team = session.get(Team, team_id)
    if team is None:
        return None
    target = target_for(session, team.id, period)
    currency = team_currency(session, team.id, target.currency if target else None)
    scope = Deal.team_id == team.id if rep_id is None else (Deal.team_id == team.id) & (Deal.rep_id == rep_id)
    deals = load_timelines(session, scope)
    stages = stage_infos(session)
    start, end = period_moments(period, team_zone(team))
    moment = min(end, now)
    amount = target.amount if target is not None else None
    figures = compute(deals, stages, start, moment, currency, amount)
    for key, values in _trend(deals, stages, session, team, period, now, currency).items():
        figures.kpis[key].trend = values
    reps: list[tuple[int, str, KPIFigures]] = []
    if rep_id is None:
        for rep in session.scalars(select(Rep).where(Rep.team_id == team.id).order_by(Rep.name)):
            own = [deal for deal in deals if deal.rep_id == rep.id]
            reps.append((rep.id, rep.name, compute(own, stages, start, moment, currency, None)))
    return KPIReport(team.id, team.name, rep_id, period, moment, currency, amount, figures, reps)
