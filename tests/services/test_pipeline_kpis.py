"""Each pipeline KPI against figures worked out by hand on a generated deal history in PostgreSQL: a won deal, a
won-then-reopened deal, deals moved between pipelines (while open and while won), a currency change, a lost deal,
a deal in another currency, another team's deal and one created after the period."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from models.deals import StageOutcome
from pipeline.db import Team
from pipeline.directory import save_rep, save_team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.deals.store import save_pipeline, save_stage
from services.pipeline_review.kpis import pipeline_kpis
from services.pipeline_review.targets import Period, TargetRefused, set_target
from tests.support.deal_history import CRM, NOW, add_deal, add_deal_call, add_pipeline, map_owner
from tests.support.servers import Services


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _deal(
    runtime: Runtime, external_id: str, created: datetime, steps: list[tuple[datetime, dict[str, object]]]
) -> int:
    """The deal as a CRM would state it at its creation and after each step (stage, amount, currency, pipeline)."""
    state: dict[str, object] = {"stage": "20", "amount": Decimal("100000"), "currency": "RUB", "owner": "501"}
    deal = 0
    for moment, change in [(created, {}), *steps]:
        state.update(change)
        deal = add_deal(runtime, external_id, created_at=created, modified_at=moment, **state)
    return deal


@pytest.fixture(scope="module")
def built(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, dict[str, int]]]:
    """One PostgreSQL database with the history for the module's tests, which only read it (and set the same
    target); dropped afterwards."""
    name = f"k{uuid.uuid4().hex[:12]}"
    with psycopg.connect(services.pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = services.env["CALLINTEL_DATABASE_URL"].rsplit("/", 1)[0]
    runtime = Runtime(
        Settings(data_dir=tmp_path_factory.mktemp("kpis"), database_url=f"{base}/{name}", llm_backend="none")
    )
    try:
        runtime.db.migrate()
        add_pipeline(runtime)
        with runtime.db.session() as session:
            partners = save_pipeline(session, CRM, "2", "Партнёры")
            save_stage(session, partners, "B1", "Пилот", position=0, outcome=StageOutcome.open).probability = 0.7
            save_stage(session, partners, "B142", "Выиграно", position=1, outcome=StageOutcome.won)
            save_team(session, "Team A")
            save_team(session, "Team B")
            rep_a = save_rep(session, "Анна Смирнова", extension="101", team="Team A").id
            rep_b = save_rep(session, "Bob Stone", extension="201", team="Team B").id
        map_owner(runtime, "501", rep_a)
        map_owner(runtime, "601", rep_b)
        yield runtime, _history(runtime)
    finally:
        runtime.db.engine.dispose()
        with psycopg.connect(services.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _history(runtime: Runtime) -> dict[str, int]:
    deals = {
        # Won on 10 November after 40 days.
        "won": _deal(runtime, "D1", at(10, 1), [(at(11, 10), {"stage": "142"})]),
        # Won on 20 November after 30 days, 200,000.
        "won2": _deal(runtime, "D2", at(10, 21), [(at(11, 20), {"stage": "142", "amount": Decimal("200000")})]),
        # Won on 5 November, reopened on 25 November: open at the end of November, not won in it.
        "reopened": _deal(
            runtime,
            "D3",
            at(9, 1),
            [(at(9, 2), {"amount": Decimal("300000")}), (at(11, 5), {"stage": "142"}), (at(11, 25), {"stage": "30"})],
        ),
        # Moved to the partner pipeline while open (12 November), won there on 2 December.
        "moved_open": _deal(
            runtime,
            "D4",
            at(10, 15),
            [
                (at(10, 16), {"amount": Decimal("50000")}),
                (at(11, 12), {"pipeline": "2", "stage": "B1"}),
                (at(12, 2), {"pipeline": "2", "stage": "B142"}),
            ],
        ),
        # Won on 15 November after 14 days, then moved to the partner pipeline's won stage: one win, not two.
        "moved_won": _deal(
            runtime,
            "D5",
            at(11, 1),
            [
                (at(11, 1, 13), {"amount": Decimal("80000")}),
                (at(11, 15), {"stage": "142"}),
                (at(11, 18), {"pipeline": "2", "stage": "B142"}),
            ],
        ),
        # 1,000 USD until 8 November, then 90,000 RUB.
        "currency": _deal(
            runtime,
            "D6",
            at(10, 5),
            [
                (at(10, 5, 13), {"amount": Decimal("1000"), "currency": "USD"}),
                (at(11, 8), {"amount": Decimal("90000"), "currency": "RUB"}),
            ],
        ),
        # Lost on 22 November.
        "lost": _deal(
            runtime, "D7", at(11, 2), [(at(11, 2, 13), {"amount": Decimal("70000")}), (at(11, 22), {"stage": "143"})]
        ),
        # Open, in USD throughout.
        "usd": _deal(runtime, "D8", at(11, 10), [(at(11, 10, 13), {"amount": Decimal("5000"), "currency": "USD"})]),
        # Another team's open deal and a deal created after November.
        "team_b": _deal(runtime, "D9", at(11, 3), [(at(11, 3, 13), {"owner": "601", "amount": Decimal("999999")})]),
        "december": _deal(runtime, "D10", at(12, 1), []),
    }
    for deal, moment in (("moved_won", at(11, 3)), ("lost", at(11, 3, 0)), ("won", at(10, 2))):
        add_deal_call(runtime, deals[deal], days_ago=(NOW - moment).total_seconds() / 86400)
    return deals


def test_each_kpi_matches_the_hand_computed_figures(built: tuple[Runtime, dict[str, int]]) -> None:
    runtime, deals = built
    with runtime.db.session() as session:
        team_a = session.scalar(select(Team.id).where(Team.name == "Team A"))
        set_target(session, "Team A", Period.parse("2026-11"), "1 000 000", "rub", "test")
        november = pipeline_kpis(session, team_a, Period.parse("2026-11"), NOW)
        december = pipeline_kpis(session, team_a, Period.parse("2026-12"), NOW)
    assert november is not None and december is not None
    kpis = november.figures.kpis

    def behind(key: str) -> set[int]:
        return {ref.id for ref in kpis[key].deals}

    assert november.currency == "RUB" and november.target == Decimal("1000000.00")
    assert kpis["open_deals"].value == 4
    assert behind("open_deals") == {deals["reopened"], deals["moved_open"], deals["currency"], deals["usd"]}
    assert kpis["pipeline_value"].value == Decimal("440000.00"), "300,000 + 50,000 + 90,000 RUB; the USD deal apart"
    assert [(ref.id, ref.amount, ref.currency) for ref in november.figures.open_apart] == [
        (deals["usd"], Decimal("5000.00"), "USD")
    ]
    assert kpis["won_value"].value == Decimal("380000.00") and behind("won_value") == {
        deals["won"],
        deals["won2"],
        deals["moved_won"],
    }
    assert kpis["coverage"].value == pytest.approx(440000 / 620000), "pipeline ÷ (target − won)"
    assert kpis["average_deal_size"].value == Decimal("126666.67")
    assert kpis["win_rate"].value == pytest.approx(0.75), "3 won of 4 closed; the reopened deal is neither"
    assert behind("win_rate") == {deals["won"], deals["won2"], deals["moved_won"], deals["lost"]}
    assert kpis["sales_cycle_days"].value == pytest.approx((40 + 30 + 14) / 3)
    assert kpis["velocity"].value == Decimal("13571.43"), "4 × 0.75 × 126,666.67 ÷ 28"
    assert kpis["lead_to_first_call_days"].value == pytest.approx((2 + 0.5) / 2), "D5 after 2 days, D7 after 12 h"
    assert behind("lead_to_first_call_days") == {deals["moved_won"], deals["lost"]}
    assert [name for _, name, _ in november.reps] == ["Анна Смирнова"]
    assert kpis["won_value"].trend[-1] == 380000.0 and len(kpis["won_value"].trend) == 6

    dec = december.figures.kpis
    assert {ref.id for ref in dec["won_value"].deals} == {deals["moved_open"]}, "won in the other pipeline"
    assert dec["won_value"].value == Decimal("50000.00") and dec["sales_cycle_days"].value == pytest.approx(48)
    assert dec["open_deals"].value == 4 and dec["coverage"].value is None, "no target for December"

    with runtime.db.session() as session:
        october = pipeline_kpis(session, team_a, Period.parse("2026-10"), NOW)
    assert october is not None
    assert [ref.id for ref in october.figures.open_apart] == [deals["currency"]], "still in USD at the end of October"


def test_targets_and_kpis_from_the_cli(built: tuple[Runtime, dict[str, int]], monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, deals = built
    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("CALLINTEL_DATABASE_URL", str(runtime.settings.database_url))
    monkeypatch.setenv("CALLINTEL_LLM_BACKEND", "none")
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    runner = CliRunner()
    refused = runner.invoke(app, ["pipeline", "targets", "set", "Team A", "2026-13", "100", "--currency", "RUB"])
    assert refused.exit_code == 2 and "2026-13" in refused.output
    done = runner.invoke(app, ["pipeline", "targets", "set", "Team A", "2026-11", "1000000", "--currency", "RUB"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["pipeline", "targets", "list"])
    assert "Team A" in listed.output and "2026-11" in listed.output and "1000000.00 RUB" in listed.output
    shown = runner.invoke(app, ["pipeline", "kpis", "Team A", "--period", "2026-11", "--json"])
    assert shown.exit_code == 0, shown.output
    assert '"pipeline_value": "440000.00"' in shown.output and str(deals["usd"]) in shown.output
    with runtime.db.session() as session:
        with pytest.raises(TargetRefused, match="no team"):
            set_target(session, "Team C", Period.parse("2026-Q4"), "5", "RUB", "test")
        team_b = session.scalar(select(Team.id).where(Team.name == "Team B"))
        rep_b = pipeline_kpis(session, team_b, Period.parse("2026-11"), NOW)
    assert rep_b is not None and rep_b.figures.kpis["pipeline_value"].value == Decimal("999999.00")
