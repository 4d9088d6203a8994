"""What a head of sales reads about a team: per-rep figures, a rep's weeks and weakest script items, the calls to
review and the calls that need attention. Every figure is an SQL aggregate over call_results, scorecard_items and
call_signals; nothing is read from storage.

Periods are whole UTC days, `until` included. A trend compares a period with the one of equal length just before it.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import SupportsFloat

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, case, func, or_, select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import Call, CallResultRow, CallSignalRow, Rep, ScorecardItemRow, Team

ATTENTION_SCORE_PERCENT = 60.0
SEVERITY_ORDER = ("high", "medium", "low")


class BadFilter(BadInput, ValueError):
    """A filter that cannot be applied; the message names the filter and the problem."""


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise BadFilter(f"the period ends ({self.until}) before it starts ({self.since})")

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Period":
        until = today or datetime.now(UTC).date()
        return cls(until - timedelta(days=days - 1), until)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> "Period":
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.since, time.min, UTC)
        return start, datetime.combine(self.until + timedelta(days=1), time.min, UTC)


@dataclass(frozen=True)
class ScriptRef:
    id: str
    version: str

    @classmethod
    def parse(cls, text: str) -> "ScriptRef":
        script_id, _, version = text.partition("@")
        if not script_id or not version:
            raise BadFilter(f"script '{text}': write it as name@version, e.g. ru_b2b_discovery@1")
        return cls(script_id, version)

    def __str__(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class TeamFilter:
    """Which calls a view adds up; `team_id` None means every team (an admin's view)."""

    period: Period
    team_id: int | None = None
    rep_id: int | None = None
    script: ScriptRef | None = None

    def conditions(self, period: Period | None = None) -> list[ColumnElement[bool]]:
        start, end = (period or self.period).bounds()
        found: list[ColumnElement[bool]] = [Call.created_at >= start, Call.created_at < end]
        if self.team_id is not None:
            found.append(Call.team_id == self.team_id)
        if self.rep_id is not None:
            found.append(Call.rep_id == self.rep_id)
        if self.script is not None:
            found += [CallResultRow.script_id == self.script.id, CallResultRow.script_version == self.script.version]
        return found


@dataclass(frozen=True)
class Figures:
    calls: int
    average: float | None
    previous_average: float | None
    talk_ratio: float | None
    auto_fails: int

    @property
    def trend(self) -> float | None:
        """Change of the average score in percentage points against the previous period."""
        if self.average is None or self.previous_average is None:
            return None
        return self.average - self.previous_average


@dataclass(frozen=True)
class RepFigures(Figures):
    rep_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class TeamTable:
    reps: list[RepFigures]
    total: Figures


def _analysed() -> Select:
    return select().select_from(Call).join(CallResultRow, CallResultRow.call_id == Call.id)


def _float(value: SupportsFloat | None) -> float | None:
    return None if value is None else float(value)


def team_table(session: Session, chosen: TeamFilter) -> TeamTable:
    """Calls, average score, trend, rep talk share and auto-fails per rep, and for the whole selection."""
    measures = (
        func.count(Call.id),
        func.avg(CallResultRow.score_percent),
        func.avg(CallResultRow.rep_talk_ratio),
        func.sum(case((CallResultRow.auto_failed, 1), else_=0)),
    )
    now_rows = session.execute(
        _analysed().add_columns(Call.rep_id, *measures).where(*chosen.conditions()).group_by(Call.rep_id)
    ).all()
    previous = chosen.period.previous()
    before_rows = session.execute(
        _analysed()
        .add_columns(Call.rep_id, func.avg(CallResultRow.score_percent))
        .where(*chosen.conditions(previous))
        .group_by(Call.rep_id)
    ).all()
    before = {rep_id: _float(average) for rep_id, average in before_rows}
    names = dict(session.execute(select(Rep.id, Rep.name).where(Rep.id.in_([r[0] for r in now_rows]))).all())
    reps = [
        RepFigures(
            calls=calls,
            average=_float(average),
            previous_average=before.get(rep_id),
            talk_ratio=_float(talk),
            auto_fails=int(fails or 0),
            rep_id=rep_id,
            name=names.get(rep_id, ""),
        )
        for rep_id, calls, average, talk, fails in now_rows
    ]
    reps.sort(key=lambda r: (r.rep_id is None, r.name.casefold()))
    calls, average, talk, fails = session.execute(_analysed().add_columns(*measures).where(*chosen.conditions())).one()
    previous_average = session.scalar(
        _analysed().add_columns(func.avg(CallResultRow.score_percent)).where(*chosen.conditions(previous))
    )
    total = Figures(calls, _float(average), _float(previous_average), _float(talk), int(fails or 0))
    return TeamTable(reps, total)


@dataclass(frozen=True)
class WeekFigures:
    week: date
    calls: int
    average: float | None


def _week_start(session: Session) -> ColumnElement:
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.date_trunc("week", Call.created_at))
    # SQLite: back six days, then forward to the next Monday (the same day when it is one).
    return func.date(Call.created_at, "-6 days", "weekday 1")


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def rep_weeks(session: Session, chosen: TeamFilter) -> list[WeekFigures]:
    """Calls and average score per week (weeks start on Monday), oldest first."""
    week = _week_start(session).label("week")
    rows = session.execute(
        _analysed()
        .add_columns(week, func.count(Call.id), func.avg(CallResultRow.score_percent))
        .where(*chosen.conditions())
        .group_by(week)
        .order_by(week)
    ).all()
    return [WeekFigures(_as_date(when), calls, _float(average)) for when, calls, average in rows]


def weeks_by_rep(session: Session, chosen: TeamFilter) -> dict[int | None, list[WeekFigures]]:
    """`rep_weeks` for every rep at once (None: calls with no rep), for the team table's sparklines."""
    week = _week_start(session).label("week")
    rows = session.execute(
        _analysed()
        .add_columns(Call.rep_id, week, func.count(Call.id), func.avg(CallResultRow.score_percent))
        .where(*chosen.conditions())
        .group_by(Call.rep_id, week)
        .order_by(Call.rep_id, week)
    ).all()
    found: dict[int | None, list[WeekFigures]] = {}
    for rep_id, when, calls, average in rows:
        found.setdefault(rep_id, []).append(WeekFigures(_as_date(when), calls, _float(average)))
    return found


@dataclass(frozen=True)
class ItemFigures:
    item_id: str
    title: str
    decided: int
    yes: int

    @property
    def yes_share(self) -> float:
        return self.yes / self.decided if self.decided else 0.0


def weakest_items(session: Session, chosen: TeamFilter, limit: int = 5) -> list[ItemFigures]:
    """Script items with the lowest share of 'yes' among calls where they were decided (yes or no)."""
    yes = func.sum(case((ScorecardItemRow.answer == "yes", 1), else_=0))
    decided = func.count(ScorecardItemRow.id)
    rows = session.execute(
        _analysed()
        .join(ScorecardItemRow, ScorecardItemRow.call_id == Call.id)
        .add_columns(ScorecardItemRow.item_id, func.min(ScorecardItemRow.title), decided, yes)
        .where(*chosen.conditions(), ScorecardItemRow.answer.in_(("yes", "no")))
        .group_by(ScorecardItemRow.item_id)
        .order_by((yes * 1.0 / decided).asc(), decided.desc(), ScorecardItemRow.item_id)
        .limit(limit)
    ).all()
    return [ItemFigures(item_id, title, count, int(yes_count or 0)) for item_id, title, count, yes_count in rows]


@dataclass(frozen=True)
class CallLine:
    call_id: str
    created_at: datetime
    rep_name: str
    score: float | None
    auto_failed: bool
    script: str
    signals: list[tuple[str, str]] = field(default_factory=list)
    low_score: bool = False


def _lines(session: Session, query: Select, threshold: float | None = None) -> list[CallLine]:
    rows = session.execute(query).all()
    lines = [
        CallLine(
            call_id=call_id,
            created_at=created_at,
            rep_name=name or "",
            score=_float(score),
            auto_failed=bool(failed),
            script=f"{script_id}@{version}",
            low_score=threshold is not None and score is not None and score < threshold,
        )
        for call_id, created_at, name, score, failed, script_id, version in rows
    ]
    signals = _signals_of(session, [line.call_id for line in lines])
    for line in lines:
        line.signals.extend(signals.get(line.call_id, []))
    return lines


def _severity_rank(column: SQLColumnExpression[str]) -> ColumnElement[int]:
    return case(*((column == name, rank) for rank, name in enumerate(SEVERITY_ORDER)), else_=len(SEVERITY_ORDER))


def _signals_of(session: Session, call_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(severity, text) of each call's signals, most severe first."""
    if not call_ids:
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    rows = session.execute(
        select(CallSignalRow.call_id, CallSignalRow.severity, CallSignalRow.text)
        .where(CallSignalRow.call_id.in_(call_ids))
        .order_by(_severity_rank(CallSignalRow.severity), CallSignalRow.id)
    )
    for call_id, severity, text in rows:
        found.setdefault(call_id, []).append((severity, text))
    return found


def _line_columns() -> Select:
    return (
        _analysed()
        .outerjoin(Rep, Rep.id == Call.rep_id)
        .add_columns(
            Call.id,
            Call.created_at,
            Rep.name,
            CallResultRow.score_percent,
            CallResultRow.auto_failed,
            CallResultRow.script_id,
            CallResultRow.script_version,
        )
    )


def calls_to_review(session: Session, chosen: TeamFilter, limit: int = 10) -> list[CallLine]:
    """Auto-failed calls first, then the lowest scores."""
    lowest = func.coalesce(CallResultRow.score_percent, 101.0)
    query = (
        _line_columns()
        .where(*chosen.conditions())
        .order_by(CallResultRow.auto_failed.desc(), lowest, Call.created_at.desc())
        .limit(limit)
    )
    return _lines(session, query)


def attention(
    session: Session, chosen: TeamFilter, threshold: float = ATTENTION_SCORE_PERCENT, limit: int = 100
) -> list[CallLine]:
    """Calls scoring under `threshold` %, auto-failed, or with deal-gap signals.

    Order: auto-fails and calls with a high-severity signal, then low scores and medium signals, then the rest;
    within each, the lowest score first, then the newest.
    """
    worst = (
        select(CallSignalRow.call_id, func.min(_severity_rank(CallSignalRow.severity)).label("rank"))
        .group_by(CallSignalRow.call_id)
        .subquery()
    )
    low = CallResultRow.score_percent < threshold
    urgency = case(
        (or_(CallResultRow.auto_failed, worst.c.rank == 0), 0),
        (or_(low, worst.c.rank == 1), 1),
        else_=2,
    )
    query = (
        _line_columns()
        .outerjoin(worst, worst.c.call_id == Call.id)
        .where(*chosen.conditions(), or_(low, CallResultRow.auto_failed, worst.c.call_id.is_not(None)))
        .order_by(urgency, func.coalesce(CallResultRow.score_percent, 101.0), Call.created_at.desc())
        .limit(limit)
    )
    return _lines(session, query, threshold)


def teams(session: Session) -> list[tuple[int, str]]:
    return [(team_id, name) for team_id, name in session.execute(select(Team.id, Team.name).order_by(Team.name))]


def team_reps(session: Session, team_id: int | None) -> list[tuple[int, str]]:
    """Reps to pick from: the team's, or everyone's when `team_id` is None."""
    query = select(Rep.id, Rep.name).order_by(Rep.name)
    if team_id is not None:
        query = query.where(Rep.team_id == team_id)
    return [(rep_id, name) for rep_id, name in session.execute(query)]


def rep_in_scope(session: Session, rep_id: int, team_id: int | None) -> Rep | None:
    """The rep, when they exist and belong to the team (any team when `team_id` is None)."""
    rep = session.get(Rep, rep_id)
    if rep is None or (team_id is not None and rep.team_id != team_id):
        return None
    return rep


def script_versions(session: Session, team_id: int | None) -> list[str]:
    """Script versions the team's calls were scored with, as name@version."""
    query = (
        _analysed()
        .add_columns(CallResultRow.script_id, CallResultRow.script_version)
        .distinct()
        .order_by(CallResultRow.script_id, CallResultRow.script_version)
    )
    if team_id is not None:
        query = query.where(Call.team_id == team_id)
    return [f"{script_id}@{version}" for script_id, version in session.execute(query)]
