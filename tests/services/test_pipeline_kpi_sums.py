"""The KPIs the database sums agree with the deals listed behind them, on a generated history of deals that move
between stages and pipelines, are won, lost and reopened, change amount and currency and get calls; on PostgreSQL
and on SQLite (embedded mode). And a target set for a quarter or a month is shared by days with shorter periods."""

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import fmean

import pytest
from sqlalchemy import select

from models.deals import StageOutcome
from pipeline.db import CRMStage, Deal, Rep, Team
from pipeline.directory import save_rep, save_team
from pipeline.runtime import Runtime
from services.deals.store import save_pipeline, save_stage
from services.pipeline_review.kpis import KPIReport, pipeline_kpis
from services.pipeline_review.targets import Period, set_target, target_for
from tests.support.deal_history import (
    CRM,
    NOW,
    add_deal,
    add_deal_call,
    add_pipeline,
    deal_runtime,
    map_owner,
    postgres,
)

__all__ = ["postgres"]  # the PostgreSQL fixture

PERIODS = ("2026-09", "2026-10", "2026-11", "2026-Q4", "2026-11-10..2026-11-24")


def _setup(runtime: Runtime) -> int:
    add_pipeline(runtime)
    with runtime.db.session() as session:
        partners = save_pipeline(session, CRM, "2", "Партнёры")
        save_stage(session, partners, "B1", "Пилот", position=0, outcome=StageOutcome.open)
        save_stage(session, partners, "B142", "Выиграно", position=1, outcome=StageOutcome.won)
        team_a = save_team(session, "Team A")[0].id
        save_team(session, "Team B")
        reps = [
            save_rep(session, "Анна Смирнова", extension="101", team="Team A").id,
            save_rep(session, "Борис Петров", extension="102", team="Team A").id,
            save_rep(session, "Bob Stone", extension="201", team="Team B").id,
        ]
    for owner, rep in zip(("501", "502", "601"), reps, strict=True):
        map_owner(runtime, owner, rep)
    return team_a


def _history(runtime: Runtime, rng: random.Random, deals: int) -> None:
    """Deals created from August to November, each changed up to six times (stage on, a move to the partner
    pipeline, a reopening, an amount or a currency change), half of them with a call."""
    for n in range(deals):
        created = datetime(2026, 8, 1, tzinfo=UTC) + timedelta(days=rng.randrange(120), hours=rng.randrange(24))
        state: dict[str, object] = {
            "pipeline": "1",
            "stage": "10",
            "amount": Decimal(rng.randrange(10, 500) * 1000),
            "currency": rng.choice(("RUB", "RUB", "RUB", "USD")),
            "owner": rng.choice(("501", "502", "502", "601")),
        }
        moment = created
        deal = add_deal(runtime, f"G{n}", created_at=created, modified_at=moment, **state)
        for _ in range(rng.randrange(7)):
            moment += timedelta(days=rng.randrange(1, 25), hours=rng.randrange(24))
            if moment >= NOW:
                break
            draw = rng.random()
            if draw < 0.35:
                state.update(pipeline="1", stage=rng.choice(("20", "30", "142", "143")))
            elif draw < 0.5:
                state.update(pipeline="2", stage=rng.choice(("B1", "B142")))
            elif draw < 0.65:
                state.update(pipeline="1", stage="30")
            elif draw < 0.85:
                state.update(amount=Decimal(rng.randrange(10, 500) * 1000))
            else:
                state.update(currency="USD" if state["currency"] == "RUB" else "RUB")
            deal = add_deal(runtime, f"G{n}", created_at=created, modified_at=moment, **state)
        if rng.random() < 0.5:
            called = created + timedelta(hours=rng.randrange(1, 600))
            add_deal_call(runtime, deal, days_ago=(NOW - called).total_seconds() / 86400)


def _unlogged(runtime: Runtime) -> int:
    """A deal loaded without a history (won, created on 10 October): won since its creation."""
    with runtime.db.session() as session:
        rep = session.scalar(select(Rep).where(Rep.name == "Анна Смирнова"))
        won = session.scalar(select(CRMStage.id).where(CRMStage.external_id == "142"))
        assert rep is not None and won is not None
        deal = Deal(
            crm=CRM,
            external_id="U1",
            name="Без истории",
            stage_id=won,
            amount=Decimal("77000"),
            currency="RUB",
            rep_id=rep.id,
            team_id=rep.team_id,
            crm_created_at=datetime(2026, 10, 10, 9, tzinfo=UTC),
        )
        session.add(deal)
        session.flush()
        return deal.id


@pytest.fixture(params=["postgresql", "sqlite"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, int, int]]:
    if request.param == "postgresql":
        runtime = Runtime(request.getfixturevalue("postgres"))
        runtime.db.migrate()
    else:
        runtime = deal_runtime(tmp_path / "embedded")
    team_a = _setup(runtime)
    _history(runtime, random.Random(18), 40)
    yield runtime, team_a, _unlogged(runtime)
    runtime.db.engine.dispose()


def _sum(amounts: list[Decimal | None]) -> Decimal:
    return sum((amount or Decimal(0) for amount in amounts), Decimal(0))


def _agrees(report: KPIReport) -> None:
    """Each figure is what the deals listed behind it make."""
    figures, kpis = report.figures, report.figures.kpis
    for key, kpi in kpis.items():
        assert kpi.count == len(kpi.deals) == len({ref.id for ref in kpi.deals}), key
    opened, ours, apart = kpis["open_deals"].deals, kpis["pipeline_value"].deals, figures.open_apart
    assert {ref.id for ref in opened} == {ref.id for ref in ours} | {ref.id for ref in apart}
    assert kpis["open_deals"].value == len(ours) + len(apart)
    assert all(ref.currency in (None, report.currency) for ref in ours + kpis["won_value"].deals)
    assert all(ref.currency not in (None, report.currency) for ref in apart + figures.won_apart)
    assert kpis["pipeline_value"].value == _sum([ref.amount for ref in ours])
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for ref in apart:
        totals[ref.currency or ""] += ref.amount or Decimal(0)
    assert figures.open_apart_totals == dict(totals)
    won, won_ours, closed = kpis["sales_cycle_days"].deals, kpis["won_value"].deals, kpis["win_rate"].deals
    assert {ref.id for ref in won} == {ref.id for ref in won_ours} | {ref.id for ref in figures.won_apart}
    assert {ref.id for ref in won} <= {ref.id for ref in closed}
    assert kpis["won_value"].value == _sum([ref.amount for ref in won_ours])
    assert kpis["win_rate"].value == (pytest.approx(len(won) / len(closed)) if closed else None)
    cycles = [ref.days for ref in won if ref.days is not None]
    assert kpis["sales_cycle_days"].value == (pytest.approx(fmean(cycles)) if won else None)
    waits = [ref.days for ref in kpis["lead_to_first_call_days"].deals if ref.days is not None]
    assert kpis["lead_to_first_call_days"].value == (pytest.approx(fmean(waits)) if waits else None)
    assert all(wait >= 0 for wait in waits)
    average = kpis["average_deal_size"].value
    assert average == (
        (_sum([r.amount for r in won_ours]) / len(won_ours)).quantize(Decimal("0.01")) if won_ours else None
    )
    for key in ("open_deals", "won_value", "pipeline_value"):
        assert sum(own.kpis[key].value or 0 for _, _, own in report.reps) == kpis[key].value, key
        assert kpis[key].trend[-1] == float(kpis[key].value or 0), key


def test_the_sums_agree_with_the_deals_behind_them(history: tuple[Runtime, int, int]) -> None:
    runtime, team_a, unlogged = history
    seen: dict[str, int] = defaultdict(int)
    with runtime.db.session() as session:
        for text in PERIODS:
            report = pipeline_kpis(session, team_a, Period.parse(text), NOW)
            assert report is not None
            _agrees(report)
            for key, kpi in report.figures.kpis.items():
                seen[key] += kpi.count
            seen["apart"] += len(report.figures.apart)
            won_in = {ref.id for ref in report.figures.kpis["won_value"].deals}
            assert (unlogged in won_in) == (text in ("2026-10", "2026-Q4")), text
            reopened = report.figures.kpis["open_deals"].count
            preview = pipeline_kpis(session, team_a, Period.parse(text), NOW, shown=3, everything="win_rate")
            assert preview is not None
            kpis = preview.figures.kpis
            assert kpis["open_deals"].count == reopened and len(kpis["open_deals"].deals) == min(3, reopened)
            assert kpis["open_deals"].deals == report.figures.kpis["open_deals"].deals[:3], "most money first"
            amounts = [ref.amount or Decimal(0) for ref in report.figures.kpis["open_deals"].deals]
            assert amounts == sorted(amounts, reverse=True)
            assert {r.id for r in kpis["win_rate"].deals} == {r.id for r in report.figures.kpis["win_rate"].deals}
            assert [kpi.value for kpi in kpis.values()] == [kpi.value for kpi in report.figures.kpis.values()]
    # The generated history gives every list something to agree on.
    assert all(count > 0 for count in seen.values()), seen


def test_a_longer_periods_target_is_shared_by_days(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path / "targets")
    team_a = _setup(runtime)
    with runtime.db.session() as session:
        set_target(session, "Team A", Period.parse("2026-Q4"), "9200000", "RUB", "test")
        set_target(session, "Team A", Period.parse("2026-12"), "3100000", "RUB", "test")
        november = target_for(session, team_a, Period.parse("2026-11"))
        assert november is not None and november.amount == Decimal("3000000.00"), "30 of the quarter's 92 days"
        assert november.share_of == Period.parse("2026-Q4") and november.currency == "RUB"
        december = target_for(session, team_a, Period.parse("2026-12"))
        assert december is not None and december.amount == Decimal("3100000.00") and december.share_of is None
        week = target_for(session, team_a, Period.parse("2026-12-07..2026-12-13"))
        assert week is not None and week.amount == Decimal("700000.00"), "7 of December's 31 days: the month's"
        assert week.share_of == Period.parse("2026-12")
        straddling = target_for(session, team_a, Period.parse("2026-11-28..2026-12-04"))
        assert straddling is not None and straddling.amount == Decimal("700000.00") and straddling.share_of is not None
        assert straddling.share_of.label == "2026-Q4"
        assert target_for(session, team_a, Period.parse("2026")) is None, "a longer period is not summed up"
        assert target_for(session, team_a, Period.parse("2027-01")) is None
        team_b = session.scalar(select(Team.id).where(Team.name == "Team B"))
        assert team_b is not None and target_for(session, team_b, Period.parse("2026-11")) is None
        report = pipeline_kpis(session, team_a, Period.parse("2026-11"), NOW)
    assert report is not None and report.target == Decimal("3000000.00") and report.currency == "RUB"
    assert report.target_share_of is not None and report.target_share_of.label == "2026-Q4"
    runtime.db.engine.dispose()
