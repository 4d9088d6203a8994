"""The two statements behind the pipeline KPIs, built once per shape with their values as parameters
(`team_id`, `rep_id`, `currency`, `created_since` and the periods' `start_<n>` and `moment_<n>`): the sums per
period and rep, and the deals behind each KPI of one period."""

from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from pipeline.db import Deal
from services.pipeline_review.timelines import days_between, deal_states, moments


def classified(states: Subquery) -> CTE:
    """Each deal of each period sorted into what it counts for: open, closed or won in the period, in the team's
    currency or apart (`apart`: its other currency), and the days it took to win and to get a first call."""
    closed = and_(states.c.outcome != "open", states.c.since >= states.c.start)
    won = and_(states.c.outcome == "won", states.c.since >= states.c.start)
    called = and_(states.c.created_at >= states.c.start, states.c.first_call_at <= states.c.moment)
    waited = days_between(states.c.first_call_at, states.c.created_at)
    ours = or_(states.c.currency.is_(None), states.c.currency == bindparam("currency", type_=String))
    return (
        select(
            states.c.idx,
            states.c.deal_id,
            states.c.name,
            states.c.external_id,
            states.c.rep_id,
            states.c.amount,
            states.c.currency,
            case((ours, null()), else_=states.c.currency).label("apart"),
            (states.c.outcome == "open").label("open"),
            closed.label("closed"),
            won.label("won"),
            case((won, days_between(states.c.since, states.c.created_at))).label("cycle_days"),
            case((called, case((waited < 0, 0.0), else_=waited))).label("waited_days"),
        )
        .where(
            # A deal closed before the period and not reopened since counts for nothing in it.
            or_(states.c.outcome == "open", closed, called)
        )
        .cte("classified")
    )


def scope(by_rep: bool) -> ColumnElement[bool]:
    """The team's deals, or one rep's of it."""
    team = Deal.team_id == bindparam("team_id", type_=Integer)
    return and_(team, Deal.rep_id == bindparam("rep_id", type_=Integer)) if by_rep else team


@cache
def sums_statement(periods: int, by_rep: bool) -> Select[Any]:
    """Per period and rep, the sums; built once per shape, its values given as parameters."""
    since = bindparam("created_since", type_=DateTime(timezone=True))
    c = classified(deal_states(scope(by_rep), moments(periods), since)).c

    def number(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    def total(condition: ColumnElement[bool]) -> ColumnElement[Decimal]:
        return func.sum(case((condition, func.coalesce(c.amount, 0)), else_=0))

    return select(
        c.idx,
        c.rep_id,
        c.apart,
        number(c.open),
        total(c.open),
        number(c.closed),
        number(c.won),
        total(c.won),
        func.sum(c.cycle_days),
        func.count(c.waited_days),
        func.sum(c.waited_days),
    ).group_by(c.idx, c.rep_id, c.apart)


# The lists of deals behind the KPIs: open (any currency), open in the team's currency or in another, won in the
# period in it, in another or in any, closed (won or lost) in the period, and created in it with a call.
LISTS = ("open", "open_ours", "open_apart", "won_ours", "won_apart", "won", "closed", "first_call")


@cache
def behind_statement(by_rep: bool, limited: bool) -> Select[Any]:
    """The deals behind each list of one period, most money (or most days) first; when `limited`, `shown` of
    each and all of the list `everything`."""
    since = bindparam("created_since", type_=DateTime(timezone=True))
    c = classified(deal_states(scope(by_rep), moments(1), since)).c
    lists: dict[str, ColumnElement[bool]] = {
        "open": c.open,
        "open_ours": and_(c.open, c.apart.is_(None)),
        "open_apart": and_(c.open, c.apart.is_not(None)),
        "won_ours": and_(c.won, c.apart.is_(None)),
        "won_apart": and_(c.won, c.apart.is_not(None)),
        "won": c.won,
        "closed": c.closed,
        "first_call": c.waited_days.is_not(None),
    }
    days = {"won": c.cycle_days, "first_call": c.waited_days}
    parts = [
        select(
            literal(name).label("list"),
            c.deal_id,
            c.name,
            c.external_id,
            c.rep_id,
            c.amount,
            c.currency,
            cast(days.get(name, null()), Float).label("days"),
        ).where(lists[name])
        for name in LISTS
    ]
    behind = union_all(*parts).subquery("behind")
    rank = func.row_number().over(
        partition_by=behind.c.list,
        order_by=(behind.c.days.desc().nulls_last(), behind.c.amount.desc().nulls_last(), behind.c.deal_id),
    )
    ranked = select(behind, rank.label("rank")).subquery("ranked")
    query = select(ranked)
    if limited:
        query = query.where(
            or_(
                ranked.c.rank <= bindparam("shown", type_=Integer),
                ranked.c.list == bindparam("everything", type_=String),
            )
        )
    return query.order_by(ranked.c.list, ranked.c.rank)
