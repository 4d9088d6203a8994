"""The forecast on PostgreSQL: each deal's category from its stage (probability or the stage's own category), the
period's deals, totals in the team's currency with another currency apart; a commit deal its calls do not back
flagged with the evidence; overrides by the rep and the head of sales logged (and in the access audit log), and
refused for another rep's or another team's deal, without a reason or with an unknown category."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from pipeline.db import AuditEntry, Deal, ForecastOverride, User
from pipeline.db.session import MIGRATIONS
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.accounts import UserRole
from services.pipeline_review.forecast import (
    Category,
    DealNotVisible,
    Forecast,
    Overrider,
    OverrideRefused,
    forecast,
    override_category,
    override_log,
)
from tests.support.deal_history import NOW, postgres
from tests.support.forecast_deals import ForecastDeals, forecast_deals

__all__ = ["postgres"]  # the PostgreSQL fixture


@pytest.fixture
def runtime(postgres: Settings) -> Iterator[Runtime]:
    runtime = Runtime(postgres)
    runtime.db.migrate()
    yield runtime
    runtime.db.engine.dispose()


def _december(runtime: Runtime, team_id: int) -> Forecast:
    with runtime.db.session() as session:
        return forecast(session, Deal.team_id == team_id, date(2026, 12, 1), date(2026, 12, 31), "RUB", NOW)


def _who(runtime: Runtime, login: str) -> Overrider:
    with runtime.db.session() as session:
        user = session.scalar(select(User).where(User.login == login))
        assert user is not None
        return Overrider(UserRole(user.role), login, user.id, user.team_id, user.rep_id)


def test_categories_flags_and_totals(runtime: Runtime) -> None:
    made: ForecastDeals = forecast_deals(runtime)
    ids = made.ids
    found = _december(runtime, made.people.team_a)
    lines = {line.deal_id: line for line in found.lines}
    assert set(lines) == {ids[n] for n in ("flagged", "backed", "best", "pipe", "no_calls", "slipped", "usd")}
    assert found.without_close_date == 1
    assert {name: lines[ids[name]].category for name in ("flagged", "best", "pipe", "no_calls")} == {
        "flagged": Category.commit,
        "best": Category.best_case,
        "pipe": Category.pipeline,
        "no_calls": Category.commit,
    }, "90 % commit, 60 % best case, 30 % pipeline; a stage's own category over its 20 %"
    flags = {flag.kind: flag for flag in lines[ids["flagged"]].flags}
    assert set(flags) == {"no_next_step", "budget_never_discussed", "decision_maker_absent", "competitor"}
    [competitor] = flags["competitor"].evidence
    assert (competitor.text, competitor.call_id, competitor.start) == ("Globex", made.competitor_call, 50.0)
    assert flags["decision_maker_absent"].evidence[0].text == "главный инженер"
    assert lines[ids["flagged"]].suggestion is Category.best_case
    assert lines[ids["backed"]].flags == [] and lines[ids["backed"]].suggestion is None, "its calls back it"
    assert [flag.kind for flag in lines[ids["no_calls"]].flags] == ["no_calls"]
    assert lines[ids["best"]].flags == [], "only commit deals are checked against their calls"
    assert found.totals() == {
        Category.commit: Decimal(850_000),
        Category.best_case: Decimal(200_000),
        Category.pipeline: Decimal(170_000),
        Category.omitted: Decimal(0),
    }
    assert found.apart() == {("USD", Category.best_case): Decimal(1_000)}
    november = _december_of(runtime, made.people.team_a, date(2026, 11, 1), date(2026, 11, 30))
    assert [line.deal_id for line in november.lines] == [ids["slipped"]], "a past period shows no slipped deals"


def _december_of(runtime: Runtime, team_id: int, start: date, end: date) -> Forecast:
    with runtime.db.session() as session:
        return forecast(session, Deal.team_id == team_id, start, end, "RUB", NOW)


def test_overrides_are_logged_and_limited_to_ones_own_deals(runtime: Runtime) -> None:
    made = forecast_deals(runtime)
    ids = made.ids
    rep_a, rop_a, rop_b = _who(runtime, "rep-a"), _who(runtime, "rop-a"), _who(runtime, "rop-b")
    with runtime.db.session() as session:
        row = override_category(session, ids["flagged"], "best_case", "  ждём бюджет от клиента ", rep_a)
        assert (row.previous, row.category, row.reason, row.actor, row.role) == (
            "commit",
            "best_case",
            "ждём бюджет от клиента",
            "rep-a",
            "rep",
        )
        override_category(session, ids["pipe"], "omitted", "клиент заморозил проект", rop_a)
    refusals = [
        (rep_a, ids["team_b"], "commit", "чужая сделка", DealNotVisible),
        (rop_b, ids["pipe"], "commit", "другая команда", DealNotVisible),
        (rep_a, ids["won"], "commit", "уже выиграна", DealNotVisible),
        (rep_a, ids["best"], "commit", "   ", OverrideRefused),
        (rep_a, ids["best"], "certain", "очень уверен", OverrideRefused),
    ]
    for who, deal_id, category, reason, error in refusals:
        with runtime.db.session() as session, pytest.raises(error):
            override_category(session, deal_id, category, reason, who)
    found = {line.deal_id: line for line in _december(runtime, made.people.team_a).lines}
    flagged = found[ids["flagged"]]
    assert (flagged.category, flagged.rule, flagged.flags) == (Category.best_case, Category.commit, [])
    assert flagged.override is not None and flagged.override.reason == "ждём бюджет от клиента"
    assert found[ids["pipe"]].category is Category.omitted
    with runtime.db.session() as session:
        override_category(session, ids["flagged"], "auto", "бюджет подтвердили", rep_a)
        log = [(row.previous, row.category, row.actor) for row in override_log(session, ids["flagged"])]
        assert log == [("best_case", "auto", "rep-a"), ("commit", "best_case", "rep-a")]
        assert session.scalar(select(ForecastOverride).where(ForecastOverride.deal_id == ids["team_b"])) is None
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "forecast.overridden")).all()
        assert [(entry.actor, entry.target, entry.detail["to"]) for entry in audited] == [
            ("rep-a", f"deal:{ids['flagged']}", "best_case"),
            ("rop-a", f"deal:{ids['pipe']}", "omitted"),
            ("rep-a", f"deal:{ids['flagged']}", "auto"),
        ]
    back = {line.deal_id: line for line in _december(runtime, made.people.team_a).lines}[ids["flagged"]]
    assert back.category is Category.commit and back.override is None and back.flags, "back to its stage's rule"


def test_the_forecast_migration_goes_down_and_up_again(runtime: Runtime) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with runtime.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    found = inspect(runtime.db.engine)
    assert not {"pipeline_targets", "forecast_overrides"} & set(found.get_table_names())
    assert "forecast_category" not in {column["name"] for column in found.get_columns("crm_stages")}
    runtime.db.migrate()
    found = inspect(runtime.db.engine)
    assert {"pipeline_targets", "forecast_overrides"} <= set(found.get_table_names())
    assert "forecast_category" in {column["name"] for column in found.get_columns("crm_stages")}
