"""Pipeline KPIs for a team or one rep over a period, each with the deals behind it.

Every KPI is read from the deals' history as it stood at the end of the period (or now, for a period not over):
a deal is open, won or lost by its stage then, and counts for what it was worth then. Amounts are summed in the
team's currency (its target's for the period, else the one most of its deals carry; a deal with no currency is
taken to be in it); deals in another currency are listed apart and never summed in. Period days are the team's
time zone's days.

The database does the counting (services.pipeline_review.kpi_queries): one grouped query gives the sums of the
period and of the earlier periods of its sparklines, per rep, and a second lists the deals behind each KPI of the
period asked.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from pipeline.db import Deal, Rep, Team
from services.pipeline_review.kpi_queries import LISTS, behind_statement, sums_statement
from services.pipeline_review.targets import Period, Target, target_for
from services.pipeline_review.timelines import moment_values

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
CENT = Decimal("0.01")
# The list of deals behind each KPI (see kpi_queries.LISTS).
BEHIND = {
    "open_deals": "open",
    "pipeline_value": "open_ours",
    "won_value": "won_ours",
    "coverage": "open_ours",
    "average_deal_size": "won_ours",
    "win_rate": "closed",
    "sales_cycle_days": "won",
    "velocity": "open",
    "lead_to_first_call_days": "first_call",
}


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
    """The deals behind it: all of them, or the first ones when the report was asked for fewer."""
    trend: list[float] = field(default_factory=list)
    count: int = 0
    """How many deals are behind it."""


@dataclass
class KPIFigures:
    kpis: dict[str, KPI]
    open_apart: list[DealRef] = field(default_factory=list)
    """Open deals in another currency: counted as open deals, their amounts never summed in."""
    won_apart: list[DealRef] = field(default_factory=list)
    """Deals won in the period in another currency: counted in the win rate, their amounts never summed in."""
    open_apart_totals: dict[str, Decimal] = field(default_factory=dict)
    """Per other currency, the sum of the open deals in it."""
    won_apart_totals: dict[str, Decimal] = field(default_factory=dict)
    open_apart_count: int = 0
    won_apart_count: int = 0

    @property
    def apart(self) -> list[DealRef]:
        return self.open_apart + self.won_apart


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
    target_share_of: Period | None = None
    """The longer period whose target this period's is a share of, by days; None for a target set for it."""


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


def team_currency(session: Session, team_id: int, target_currency: str | None) -> str:
    """The target's currency, else the one most of the team's deals carry (RUB for a team with none)."""
    if target_currency:
        return target_currency
    deals = func.count().label("deals")
    most = session.scalar(
        select(Deal.currency)
        .where(Deal.team_id == team_id, Deal.deleted.is_(False), Deal.currency.is_not(None))
        .group_by(Deal.currency)
        .order_by(deals.desc(), Deal.currency)
        .limit(1)
    )
    return most or "RUB"


@dataclass
class _Sums:
    """What the KPIs are made of, for one group of deals; sums of groups add up."""

    open: int = 0
    closed: int = 0
    won: int = 0
    cycle_days: float = 0.0
    first_calls: int = 0
    waited_days: float = 0.0
    # currency (None: the team's) -> deals and sum, open and won in the period
    open_by: dict[str | None, tuple[int, Decimal]] = field(default_factory=dict)
    won_by: dict[str | None, tuple[int, Decimal]] = field(default_factory=dict)

    def add(self, other: "_Sums") -> None:
        self.open += other.open
        self.closed += other.closed
        self.won += other.won
        self.cycle_days += other.cycle_days
        self.first_calls += other.first_calls
        self.waited_days += other.waited_days
        for mine, theirs in ((self.open_by, other.open_by), (self.won_by, other.won_by)):
            for code, (count, total) in theirs.items():
                had = mine.get(code, (0, Decimal(0)))
                mine[code] = (had[0] + count, had[1] + total)


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _sums(session: Session, by_rep: bool, params: dict[str, Any]) -> dict[tuple[int, int | None], _Sums]:
    """Per period and rep, summed by the database."""
    periods = sum(1 for name in params if name.startswith("moment_"))
    query = sums_statement(periods, by_rep)
    found: dict[tuple[int, int | None], _Sums] = {}
    for idx, rep_id, apart, opened, open_total, closed, won, won_total, cycles, calls, waited in session.execute(
        query, params
    ):
        sums = found.setdefault((idx, rep_id), _Sums())
        part = _Sums(
            open=opened or 0,
            closed=closed or 0,
            won=won or 0,
            cycle_days=float(cycles or 0),
            first_calls=calls or 0,
            waited_days=float(waited or 0),
        )
        if opened:
            part.open_by[apart] = (opened, _money(open_total))
        if won:
            part.won_by[apart] = (won, _money(won_total))
        sums.add(part)
    return found


def _deals_behind(
    session: Session, by_rep: bool, params: dict[str, Any], shown: int | None, everything: str | None
) -> dict[str, list[DealRef]]:
    """The deals behind each list of the period asked (see BEHIND): `shown` of each (None: all), and all of the
    list `everything`."""
    query = behind_statement(by_rep, shown is not None)
    if shown is not None:
        params = {**params, "shown": shown, "everything": everything or ""}
    refs: dict[str, list[DealRef]] = {name: [] for name in LISTS}
    for row in session.execute(query, params):
        refs[row.list].append(
            DealRef(
                row.deal_id,
                row.name or row.external_id,
                row.external_id,
                row.rep_id,
                None if row.amount is None else _money(row.amount),
                row.currency,
                None if row.days is None else float(row.days),
            )
        )
    return refs


def _figures(sums: _Sums, target: Decimal | None, deals: dict[str, list[DealRef]] | None = None) -> KPIFigures:
    open_count, pipeline_value = sums.open_by.get(None, (0, Decimal(0)))
    won_count, won_value = sums.won_by.get(None, (0, Decimal(0)))
    win_rate = sums.won / sums.closed if sums.closed else None
    average = (won_value / won_count).quantize(CENT) if won_count else None
    cycle = sums.cycle_days / sums.won if sums.won else None
    velocity = None
    if win_rate is not None and average is not None and cycle is not None:
        # A deal won within the hour it was created would divide by nearly nothing: an hour is the floor.
        per_day = Decimal(sums.open) * Decimal(str(win_rate)) * average / Decimal(str(max(cycle, 1 / 24)))
        velocity = per_day.quantize(CENT)
    remaining = target - won_value if target is not None else None
    coverage = float(pipeline_value / remaining) if remaining is not None and remaining > 0 else None
    counts = {
        "open": sums.open,
        "open_ours": open_count,
        "won_ours": won_count,
        "won": sums.won,
        "closed": sums.closed,
        "first_call": sums.first_calls,
    }
    values: dict[str, Decimal | float | int | None] = {
        "open_deals": sums.open,
        "pipeline_value": pipeline_value,
        "won_value": won_value,
        "coverage": coverage,
        "average_deal_size": average,
        "win_rate": win_rate,
        "sales_cycle_days": cycle,
        "velocity": velocity,
        "lead_to_first_call_days": sums.waited_days / sums.first_calls if sums.first_calls else None,
    }
    lists = deals or {}
    return KPIFigures(
        {key: KPI(key, values[key], lists.get(BEHIND[key], []), count=counts[BEHIND[key]]) for key in KPI_KEYS},
        lists.get("open_apart", []),
        lists.get("won_apart", []),
        dict(sorted((code, total) for code, (_, total) in sums.open_by.items() if code is not None)),
        dict(sorted((code, total) for code, (_, total) in sums.won_by.items() if code is not None)),
        sums.open - open_count,
        sum(count for code, (count, _) in sums.won_by.items() if code is not None),
    )


def pipeline_kpis(
    session: Session,
    team_id: int,
    period: Period,
    now: datetime,
    rep_id: int | None = None,
    *,
    shown: int | None = None,
    everything: str | None = None,
) -> KPIReport | None:
    """The KPIs of the team (or of one of its reps) for the period; None for a team that does not exist. Each KPI
    lists `shown` of its deals (None: all), the KPI `everything` all of them."""
    team = session.get(Team, team_id)
    if team is None:
        return None
    zone = team_zone(team)
    target = target_for(session, team.id, period)
    currency = team_currency(session, team.id, target.currency if target else None)
    periods: list[tuple[int, datetime, datetime]] = []
    targets: dict[int, Target | None] = {}
    for step in range(1 - TREND_PERIODS, 1):
        earlier = period.shifted(step)
        start, end = period_moments(earlier, zone)
        if start <= now or step == 0:
            periods.append((step, start, min(end, now)))
            targets[step] = target if step == 0 else target_for(session, team.id, earlier)
    params: dict[str, Any] = {"team_id": team.id, "rep_id": rep_id, "currency": currency}
    by_rep = rep_id is not None
    found = _sums(
        session,
        by_rep,
        {**params, "created_since": periods[0][1], **moment_values([(start, end) for _, start, end in periods])},
    )
    # Rows come back by position in `periods`; the asked period is the last.
    sums = {(periods[idx][0], rep): part for (idx, rep), part in found.items()}
    asked = periods[-1][1:]
    deals = _deals_behind(
        session,
        by_rep,
        {**params, "created_since": asked[0], **moment_values([asked])},
        shown,
        _behind_key(everything),
    )

    def in_currency(step: int) -> Decimal | None:
        set_for = targets.get(step)
        return set_for.amount if set_for is not None and set_for.currency == currency else None

    trend: dict[str, list[float]] = {key: [] for key in KPI_KEYS}
    team_sums: dict[int, _Sums] = {}
    for (step, _), part in sums.items():
        team_sums.setdefault(step, _Sums()).add(part)
    for step, start, _ in periods:
        if start > now:
            continue
        shown_figures = _figures(team_sums.get(step, _Sums()), in_currency(step))
        for key, kpi in shown_figures.kpis.items():
            trend[key].append(float(kpi.value) if kpi.value is not None else 0.0)
    amount = target.amount if target is not None else None
    figures = _figures(team_sums.get(0, _Sums()), amount, deals)
    for key in KPI_KEYS:
        figures.kpis[key].trend = trend[key]
    reps: list[tuple[int, str, KPIFigures]] = []
    if rep_id is None:
        for rep in session.scalars(select(Rep).where(Rep.team_id == team.id).order_by(Rep.name)):
            reps.append((rep.id, rep.name, _figures(sums.get((0, rep.id), _Sums()), None)))
    share_of = target.share_of if target is not None else None
    return KPIReport(team.id, team.name, rep_id, period, periods[-1][2], currency, amount, figures, reps, share_of)


def _behind_key(key: str | None) -> str | None:
    """The list of deals behind the KPI (or the apart list) named."""
    if key in ("open_apart", "won_apart"):
        return key
    return BEHIND.get(key) if key is not None else None
