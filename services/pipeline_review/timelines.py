"""Each deal's outcome and amount at chosen moments, read by the database from the deal's change log
(pipeline.db.DealChange), so that the KPIs of a team of thousands of deals are sums the database makes rather than
histories rebuilt one deal at a time.

A deal's stage history becomes a run of intervals: a logged stage holds from its change until the next one. A deal
is open, won or lost by the mapping of the stage in force at the moment (open before its first logged stage), and
has been closed since the change that took it from open, or from the other closed outcome, to the outcome it has:
a deal moved to another pipeline stays one deal, and a move between two stages of the same outcome (won in one
pipeline, won in another) is not a new close. A won deal that is reopened is open again from the reopening on.

History starts at a deal's first sync, dated with the CRM's modification time of that first state: a deal first
seen closed is closed from then (for a closed deal that time is about when it closed) and open before; its first
amount holds from its creation. A deal with no logged stage or amount (loaded before its history was kept) has
its current one since its creation.
"""

from datetime import datetime

from sqlalchemy import (
    CTE,
    DateTime,
    Float,
    Numeric,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery

from pipeline.db import Call, CRMStage, Deal, DealCall, DealChange

DAY_SECONDS = 86400


# The few expressions PostgreSQL and SQLite spell differently.


class _WordOf(FunctionElement[str]):
    """The first or second space-separated word of a logged amount ("150000.00 RUB")."""

    type = String()
    inherit_cache = True


class _DaysBetween(FunctionElement[float]):
    """Days, with fractions, from the second moment to the first."""

    type = Float()
    inherit_cache = True


class _Moment(FunctionElement[datetime]):
    """An ISO 8601 text with its offset, as a moment."""

    type = DateTime(timezone=True)
    inherit_cache = True


@compiles(_WordOf)
def _word_pg(element: _WordOf, compiler: SQLCompiler, **kw: object) -> str:
    text, position = list(element.clauses)
    return f"split_part({compiler.process(text, **kw)}, ' ', {compiler.process(position, **kw)})"


@compiles(_WordOf, "sqlite")
def _word_sqlite(element: _WordOf, compiler: SQLCompiler, **kw: object) -> str:
    text_, position = list(element.clauses)
    text = compiler.process(text_, **kw)
    split = f"instr({text} || ' ', ' ')"
    first = f"substr({text}, 1, {split} - 1)"
    return f"CASE {compiler.process(position, **kw)} WHEN 1 THEN {first} ELSE substr({text}, {split} + 1) END"


@compiles(_DaysBetween)
def _days_pg(element: _DaysBetween, compiler: SQLCompiler, **kw: object) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / {DAY_SECONDS}.0)"


@compiles(_DaysBetween, "sqlite")
def _days_sqlite(element: _DaysBetween, compiler: SQLCompiler, **kw: object) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(_Moment)
def _moment_pg(element: _Moment, compiler: SQLCompiler, **kw: object) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP WITH TIME ZONE)"


@compiles(_Moment, "sqlite")
def _moment_sqlite(element: _Moment, compiler: SQLCompiler, **kw: object) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(element.clauses, **kw)})"


def days_between(later: ColumnElement[datetime], earlier: ColumnElement[datetime]) -> ColumnElement[float]:
    return _DaysBetween(later, earlier)


def _logged_text(value: ColumnElement[object]) -> ColumnElement[str]:
    """A logged JSON value (a stage id, an amount text, null) as plain text; null stays null."""
    return func.nullif(func.trim(cast(value, Text), '"'), "null")


def moments(count: int) -> Subquery:
    """`count` periods as rows: `idx` (0 to count - 1), and `start` and `moment` (the last moment counted) from the
    parameters `start_<idx>` and `moment_<idx>` (see `moment_values`)."""
    rows = [
        select(
            literal(idx).label("idx"),
            bindparam(f"start_{idx}", type_=DateTime(timezone=True)).label("start"),
            bindparam(f"moment_{idx}", type_=DateTime(timezone=True)).label("moment"),
        )
        for idx in range(count)
    ]
    return (union_all(*rows) if count > 1 else rows[0]).subquery("periods")


def moment_values(periods: list[tuple[datetime, datetime]]) -> dict[str, datetime]:
    """The parameters of `moments(len(periods))` for these (start, moment) pairs."""
    values: dict[str, datetime] = {}
    for idx, (start, moment) in enumerate(periods):
        values[f"start_{idx}"], values[f"moment_{idx}"] = start, moment
    return values


def scope_deals(scope: ColumnElement[bool], since: ColumnElement[datetime]) -> CTE:
    """The deals in scope (deleted ones left out) that can count for something from `since` on, each with when it
    was created and its current stage's outcome. A deal created before, closed now and unchanged since was closed
    before it (its logged stage is its current one) and counts for nothing."""
    created = func.coalesce(Deal.crm_created_at, Deal.synced_at)
    changed = exists().where(DealChange.deal_id == Deal.id, DealChange.at >= since)
    may_count = or_(created >= since, func.coalesce(CRMStage.outcome, "open") == "open", changed)
    return (
        select(
            Deal.id,
            Deal.name,
            Deal.external_id,
            Deal.rep_id,
            CRMStage.outcome.label("stage_outcome"),
            Deal.amount,
            Deal.currency,
            created.label("created_at"),
        )
        .outerjoin(CRMStage, CRMStage.id == Deal.stage_id)
        .where(Deal.deleted.is_(False), scope, may_count)
        .cte("scoped")
    )


def _logged(deals: CTE) -> CTE:
    """The stage and amount changes of the deals, read once for both."""
    return (
        select(DealChange.deal_id, DealChange.field, DealChange.at, DealChange.id, DealChange.new)
        .join(deals, deals.c.id == DealChange.deal_id)
        .where(DealChange.field.in_(("stage", "amount")))
        .cte("logged")
    )


def _stage_intervals(logged: CTE) -> Subquery:
    """Per logged stage: from `at` until `next_at` (none: still), whether it is the deal's `first`, its outcome,
    and since when the deal has had a closed outcome (null while open)."""
    steps = (
        select(
            logged.c.deal_id,
            logged.c.at,
            logged.c.id.label("seq"),
            func.coalesce(CRMStage.outcome, "open").label("outcome"),
        )
        .outerjoin(CRMStage, cast(CRMStage.id, Text) == _logged_text(logged.c.new))
        .where(logged.c.field == "stage")
        .subquery("stage_steps")
    )
    by, order = steps.c.deal_id, (steps.c.at, steps.c.seq)
    turned = steps.c.outcome != func.coalesce(func.lag(steps.c.outcome).over(partition_by=by, order_by=order), "open")
    marked = select(
        steps.c.deal_id,
        steps.c.at,
        steps.c.seq,
        steps.c.outcome,
        func.lead(steps.c.at).over(partition_by=by, order_by=order).label("next_at"),
        (func.row_number().over(partition_by=by, order_by=order) == 1).label("first"),
        case((turned, steps.c.at)).label("turned_at"),
    ).subquery("stage_marked")
    since = func.max(marked.c.turned_at).over(
        partition_by=marked.c.deal_id, order_by=(marked.c.at, marked.c.seq), rows=(None, 0)
    )
    return select(
        marked.c.deal_id,
        marked.c.at,
        marked.c.next_at,
        marked.c.first,
        marked.c.outcome,
        case((marked.c.outcome != "open", since)).label("since"),
    ).subquery("stages")


def _money_intervals(logged: CTE) -> Subquery:
    """Per logged amount: from `at` (the `first` one: from the deal's creation) until `next_at`, its amount and
    currency (null for a deal logged without one)."""
    text = _logged_text(logged.c.new)
    steps = (
        select(
            logged.c.deal_id,
            logged.c.at,
            logged.c.id.label("seq"),
            cast(_WordOf(text, 1), Numeric(18, 2)).label("amount"),
            func.nullif(_WordOf(text, 2), "").label("currency"),
        )
        .where(logged.c.field == "amount")
        .subquery("money_steps")
    )
    by, order = steps.c.deal_id, (steps.c.at, steps.c.seq)
    return select(
        steps.c.deal_id,
        steps.c.at,
        func.lead(steps.c.at).over(partition_by=by, order_by=order).label("next_at"),
        (func.row_number().over(partition_by=by, order_by=order) == 1).label("first"),
        steps.c.amount,
        steps.c.currency,
    ).subquery("money")


def _in_force(intervals: Subquery, deal_id: ColumnElement[int], moment: ColumnElement[datetime]) -> ColumnElement[bool]:
    """The one logged interval of the deal that holds at the moment, or its first one when the moment is before
    it: a deal with a log always finds one, a deal without none."""
    return and_(
        intervals.c.deal_id == deal_id,
        or_(intervals.c.at <= moment, intervals.c.first),
        or_(intervals.c.next_at.is_(None), intervals.c.next_at > moment),
    )


def _first_calls(deals: CTE, created_since: ColumnElement[datetime]) -> Subquery:
    """When each deal created since then had its first linked call (the telephony's start time, else intake)."""
    started = _Moment(Call.info["started_at"].as_string())
    return (
        select(DealCall.deal_id, func.min(func.coalesce(started, Call.created_at)).label("first_call_at"))
        .join(Call, Call.id == DealCall.call_id)
        .join(deals, deals.c.id == DealCall.deal_id)
        .where(deals.c.created_at >= created_since)
        .group_by(DealCall.deal_id)
        .subquery("first_calls")
    )


def deal_states(scope: ColumnElement[bool], periods: Subquery, created_since: ColumnElement[datetime]) -> Subquery:
    """A row per period and deal in scope that existed at the period's moment: its rep, outcome, since when it has
    been closed, amount and currency then, when it was created and its first call (for the deals created since
    `created_since`, the first period's start: deals that count for nothing from then on are left out)."""
    deals = scope_deals(scope, created_since)
    logged = _logged(deals)
    stages = _stage_intervals(logged)
    money = _money_intervals(logged)
    calls = _first_calls(deals, created_since)
    moment = periods.c.moment
    joined = (
        periods.join(deals, deals.c.created_at <= moment)
        .outerjoin(stages, _in_force(stages, deals.c.id, moment))
        .outerjoin(money, _in_force(money, deals.c.id, moment))
        .outerjoin(calls, calls.c.deal_id == deals.c.id)
    )
    # A deal without a logged stage has had its current one since its creation; with one, it was open before it.
    current = func.coalesce(deals.c.stage_outcome, "open")
    unlogged = stages.c.deal_id.is_(None)
    outcome = case((unlogged, current), (stages.c.at <= moment, stages.c.outcome), else_="open")
    since = case(
        (unlogged, case((current != "open", deals.c.created_at))),
        (stages.c.at <= moment, stages.c.since),
    )
    no_amounts = money.c.deal_id.is_(None)
    return (
        select(
            periods.c.idx,
            periods.c.start,
            periods.c.moment,
            deals.c.id.label("deal_id"),
            deals.c.name,
            deals.c.external_id,
            deals.c.rep_id,
            outcome.label("outcome"),
            since.label("since"),
            case((no_amounts, deals.c.amount), else_=money.c.amount).label("amount"),
            case((no_amounts, deals.c.currency), else_=money.c.currency).label("currency"),
            deals.c.created_at,
            calls.c.first_call_at,
        )
        .select_from(joined)
        .subquery("states")
    )
