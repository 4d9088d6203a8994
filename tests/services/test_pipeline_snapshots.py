"""Daily pipeline snapshots on PostgreSQL: stored as changes only, due by each team's own clock (a team in
Vladivostok and one in Moscow), a missed day caught up, and the waterfall, trend and forecast-as-of read back
from a generated history against figures computed by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from pipeline.db import DealSnapshot, SnapshotRun, Team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.pipeline_review.forecast_as_of import forecast_as_of
from services.pipeline_review.snapshot_pass import snapshot_pass
from services.pipeline_review.snapshots import SnapshotRefused, take_snapshot
from services.pipeline_review.trend import forecast_trend
from services.pipeline_review.waterfall import Scope, waterfall
from tests.support.deal_history import add_deal, add_pipeline, map_owner, postgres
from tests.support.pipeline_history import END, EXPECTED, EXPECTED_DEALS, MIDDLE, PERIOD, START, build_history
from tests.support.web_users import add_people

__all__ = ["postgres"]  # the PostgreSQL fixture


def _runtime(settings: Settings) -> Runtime:
    runtime = Runtime(settings)
    runtime.db.migrate()
    return runtime


def _rows(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(DealSnapshot)) or 0


def _days_taken(runtime: Runtime) -> dict[int | None, list[date]]:
    with runtime.db.session() as session:
        taken: dict[int | None, list[date]] = {}
        for team_id, day in session.execute(select(SnapshotRun.team_id, SnapshotRun.day).order_by(SnapshotRun.day)):
            taken.setdefault(team_id, []).append(day)
        return taken


def test_snapshots_follow_each_teams_clock_store_only_changes_and_catch_up(
    postgres: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _runtime(postgres)
    people = add_people(runtime)
    add_pipeline(runtime)
    map_owner(runtime, "501", people.rep_a)
    map_owner(runtime, "601", people.rep_b)
    with runtime.db.session() as session:
        session.execute(update(Team).where(Team.id == people.team_a).values(timezone="Asia/Vladivostok"))
        session.execute(update(Team).where(Team.id == people.team_b).values(timezone="Europe/Moscow"))
    east = add_deal(runtime, "V-1", owner="501")
    add_deal(runtime, "M-1", owner="601")

    # 14:00 UTC on 7 December: already 00:00 on the 8th in Vladivostok (its 23:30 of the 7th has passed),
    # 17:00 in Moscow (the 7th's 23:30 has not: its due day is still the 6th).
    snapshot_pass(runtime, datetime(2026, 12, 7, 14, 0, tzinfo=UTC))
    assert _days_taken(runtime) == {
        people.team_a: [date(2026, 12, 7)],
        people.team_b: [date(2026, 12, 6)],
        None: [date(2026, 12, 6)],
    }
    assert _rows(runtime) == 2, "each deal's first snapshot is a row"
    runs = snapshot_pass(runtime, datetime(2026, 12, 7, 14, 5, tzinfo=UTC))
    assert all(run.skipped for run in runs), "a second pass on the same day adds nothing"

    # 20:31 UTC is 23:31 in Moscow: its 7th is due now; Vladivostok's 8th is not (06:31 there).
    snapshot_pass(runtime, datetime(2026, 12, 7, 20, 31, tzinfo=UTC))
    assert _days_taken(runtime)[people.team_b] == [date(2026, 12, 6), date(2026, 12, 7)]
    assert _days_taken(runtime)[people.team_a] == [date(2026, 12, 7)]
    assert _rows(runtime) == 2, "an unchanged day adds no rows"

    # The scheduler is down until 9 December 14:00 UTC: Moscow's missed 8th is taken, dated the 8th, with the
    # change made meanwhile; Vladivostok's 9th is due (00:00 on the 10th there), its 8th missed and folded in.
    add_deal(runtime, "V-1", owner="501", amount=Decimal(175_000), modified_at=datetime(2026, 12, 8, tzinfo=UTC))
    snapshot_pass(runtime, datetime(2026, 12, 9, 14, 0, tzinfo=UTC))
    assert _days_taken(runtime)[people.team_b][-1] == date(2026, 12, 8)
    assert _days_taken(runtime)[people.team_a][-1] == date(2026, 12, 9)
    with runtime.db.session() as session:
        history = session.execute(
            select(DealSnapshot.day, DealSnapshot.until, DealSnapshot.amount)
            .where(DealSnapshot.deal_id == east)
            .order_by(DealSnapshot.day)
        ).all()
        assert [(row.day, row.until, row.amount) for row in history] == [
            (date(2026, 12, 7), date(2026, 12, 9), Decimal("150000.00")),
            (date(2026, 12, 9), date(9999, 12, 31), Decimal("175000.00")),
        ]
        with pytest.raises(SnapshotRefused, match="2026-12-09"):
            take_snapshot(session, people.team_a, date(2026, 12, 8))

    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(postgres.data_dir))
    monkeypatch.setenv("CALLINTEL_DATABASE_URL", str(postgres.database_url))
    monkeypatch.setenv("CALLINTEL_LLM_BACKEND", "none")
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    runner = CliRunner()
    assert runner.invoke(app, ["pipeline", "snapshot", "--date", "8 Dec"]).exit_code == 2
    assert runner.invoke(app, ["pipeline", "snapshot-time", "Team A", "25:00"]).exit_code == 2
    changed = runner.invoke(app, ["pipeline", "snapshot-time", "Team A", "21:15"])
    assert changed.exit_code == 0 and "21:15 (Asia/Vladivostok)" in changed.output, changed.output
    taken = runner.invoke(app, ["pipeline", "snapshot", "--date", "2026-12-10"])
    assert taken.exit_code == 0 and "snapshot of 2026-12-10: 1 deals, 0 changed" in taken.output, taken.output
    runtime.db.engine.dispose()


def test_waterfall_trend_and_forecast_as_of_match_the_hand_computed_history(postgres: Settings) -> None:
    runtime = _runtime(postgres)
    history = build_history(runtime)
    team_a = history.people.team_a
    with runtime.db.session() as session:
        result = waterfall(session, START, END, PERIOD, Scope(team_id=team_a))
        assert result.currency == "RUB"
        assert result.start == Decimal(1_320_000) and result.end == Decimal(1_230_000)
        assert {step: result.total(step) for step in EXPECTED} == EXPECTED
        names = {deal_id: name for name, deal_id in history.deals.items()}
        assert {step: {names[d.deal_id] for d in deals} for step, deals in result.steps.items()} == EXPECTED_DEALS
        assert result.apart == {"USD": (1, Decimal("1500.00"))}
        assert result.start + sum(EXPECTED.values()) == result.end

        # The rep's waterfall is the same deals (one rep in team A); team B's holds only its own deal.
        rep = waterfall(session, START, END, PERIOD, Scope(rep_id=history.people.rep_a), currency="RUB")
        assert rep.end == result.end
        other = waterfall(session, START, END, PERIOD, Scope(team_id=history.people.team_b), currency="RUB")
        assert other.start == other.end == Decimal(1_000_000)
        assert not any(other.steps.values())

        # Between START and MIDDLE the won-then-reopened deal is won.
        middle = waterfall(session, START, MIDDLE, PERIOD, Scope(team_id=team_a))
        assert {step: [d.change for d in deals] for step, deals in middle.steps.items() if deals} == {
            "new": [Decimal(90_000)],
            "won": [Decimal(-30_000)],
        }

        trend = forecast_trend(session, START, END, currency="RUB", team_id=team_a, period=PERIOD)
        assert trend.days[0] == START and trend.days[-1] == END
        pipeline_sums = trend.series["pipeline"]
        # Stage 20 (probability 0.3) is the pipeline; the second pipeline's stage (0.95) is commit; stage 30 best case.
        assert pipeline_sums[0] == Decimal(1_320_000)
        assert pipeline_sums[2] == Decimal(1_320_000 - 30_000 + 90_000)
        assert trend.series["commit"][-1] == Decimal(60_000)
        assert trend.series["best_case"][-1] == Decimal(530_000)
        assert sum(series[-1] for series in trend.series.values()) == result.end

        on_end = forecast_as_of(session, END, currency="RUB", team_id=team_a, period=PERIOD)
        assert on_end == {
            "pipeline": (5, Decimal(640_000)),
            "commit": (1, Decimal(60_000)),
            "best_case": (2, Decimal(530_000)),
        }
    runtime.db.engine.dispose()
