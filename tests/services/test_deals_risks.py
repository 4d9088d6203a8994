"""Each deal-level risk firing, and its near miss not firing; team settings; the risk pass stores risks with their
evidence, sends `deal.at_risk` once per new risk and clears risks that are gone."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from models.deals import RiskKind, RiskSettings
from pipeline.db import DealRisk, Delivery, OutboxEvent, Subscriber
from pipeline.directory import save_team
from pipeline.runtime import Runtime
from services.deals.risk_pass import run_risk_pass, save_team_risk_settings
from tests.support.deal_history import NOW, add_deal, add_deal_call, add_pipeline, day, deal_runtime

GOOD = {
    "budget": ("150000", "approved", "бюджет сто пятьдесят тысяч", 12.0),
    "decision_maker": "the person on the call",
    "next_step": ("демо в пятницу", "approved", "давайте демо в пятницу", 40.5),
    "next_step_date": day(5).isoformat(),
}


def _good(runtime: Runtime, deal: int, days_ago: float, **changed: object) -> str:
    values = {name: value for name, value in {**GOOD, **changed}.items() if value is not None}
    return add_deal_call(runtime, deal, days_ago=days_ago, values=values)


def _without(name: str) -> dict[str, object]:
    return {key: value for key, value in GOOD.items() if key != name}


def _rejected_budget() -> dict[str, object]:
    return {**GOOD, "budget": ("1", "rejected", None, None)}


def _moves(runtime: Runtime, deal: int, count: int) -> None:
    for move in range(count):
        add_deal(
            runtime,
            "D",
            close_date=day(40 + move * 10),
            modified_at=NOW.replace(day=1 + move),
        )


Scenario = Callable[[Runtime, int], None]
SCENARIOS: dict[RiskKind, tuple[Scenario, Scenario]] = {
    RiskKind.no_activity: (lambda r, d: _good(r, d, 15), lambda r, d: _good(r, d, 13)),
    RiskKind.next_step_overdue: (
        lambda r, d: _good(r, d, 10, next_step_date=day(-3).isoformat()),
        lambda r, d: (_good(r, d, 10, next_step_date=day(-3).isoformat()), _good(r, d, 2, next_step_date=None)),
    ),
    RiskKind.no_next_step: (
        lambda r, d: add_deal_call(r, d, days_ago=1, signals=("no_next_step",), values={"budget": "1"}),
        lambda r, d: (add_deal_call(r, d, days_ago=5, signals=("no_next_step",)), _good(r, d, 1)),
    ),
    RiskKind.budget_never_discussed: (
        lambda r, d: (
            add_deal_call(r, d, days_ago=5, signals=("budget_not_discussed",), values=_without("budget")),
            add_deal_call(r, d, days_ago=1, signals=("budget_not_discussed",), values=_rejected_budget()),
        ),
        lambda r, d: (
            add_deal_call(r, d, days_ago=5, signals=("budget_not_discussed",), values=_without("budget")),
            _good(r, d, 1, budget=("300000", "proposed", None, None)),
        ),
    ),
    RiskKind.decision_maker_absent: (
        lambda r, d: _good(r, d, 1, decision_maker=("главный инженер", "proposed", "решает главный инженер", 33.0)),
        lambda r, d: (_good(r, d, 5, decision_maker="главный инженер"), _good(r, d, 1)),
    ),
    RiskKind.competitor: (
        lambda r, d: _good(r, d, 1, competitors_mentioned=(["Битрикс24"], "proposed", "смотрим Битрикс24", 50.0)),
        lambda r, d: _good(r, d, 1, competitors_mentioned=(["Битрикс24"], "rejected", None, None)),
    ),
    RiskKind.stage_ahead: (
        lambda r, d: (add_deal(r, "D", stage="30", modified_at=NOW), _good(r, d, 1, decision_maker=None)),
        lambda r, d: (add_deal(r, "D", stage="30", modified_at=NOW), _good(r, d, 1)),
    ),
    RiskKind.close_date_passed: (
        lambda r, d: (add_deal(r, "D", close_date=day(-1), modified_at=NOW), _good(r, d, 1)),
        lambda r, d: (add_deal(r, "D", close_date=day(0), modified_at=NOW), _good(r, d, 1)),
    ),
    RiskKind.close_date_moved: (
        lambda r, d: (_moves(r, d, 2), _good(r, d, 1)),
        lambda r, d: (_moves(r, d, 1), _good(r, d, 1)),
    ),
}


def _risks(tmp_path: Path, scenario: Scenario) -> dict[str, DealRisk]:
    runtime = deal_runtime(tmp_path)
    add_pipeline(runtime)
    deal = add_deal(runtime, "D")
    scenario(runtime, deal)
    with runtime.db.session() as session:
        run_risk_pass(session, NOW)
        return {row.kind: row for row in session.scalars(select(DealRisk).where(DealRisk.deal_id == deal))}


@pytest.mark.parametrize("kind", list(RiskKind))
def test_each_risk_fires_and_its_near_miss_does_not(tmp_path: Path, kind: RiskKind) -> None:
    fires, near_miss = SCENARIOS[kind]
    fired = _risks(tmp_path / "fires", fires)
    assert kind.value in fired, f"{kind} did not fire: {sorted(fired)}"
    assert fired[kind.value].evidence, f"{kind} fired without evidence"
    missed = _risks(tmp_path / "near", near_miss)
    assert kind.value not in missed, f"{kind} fired on its near miss: {missed[kind.value].message}"


def test_evidence_points_at_the_call_and_moment(tmp_path: Path) -> None:
    fired = _risks(tmp_path, SCENARIOS[RiskKind.competitor][0])
    [evidence] = fired["competitor"].evidence
    assert evidence["text"] == "Битрикс24" and evidence["start"] == 50.0 and evidence["call_id"]
    moved = _risks(tmp_path / "moved", SCENARIOS[RiskKind.close_date_moved][0])
    assert [e["text"] for e in moved["close_date_moved"].evidence] == [
        f"{day(30)} → {day(40)}",
        f"{day(40)} → {day(50)}",
    ]


def test_team_settings_change_and_switch_off_risks(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    add_pipeline(runtime)
    with runtime.db.session() as session:
        team, _ = save_team(session, "Team A")
        team_id = team.id
    deal = add_deal(runtime, "D", close_date=day(-1))
    _good(runtime, deal, 20)
    with runtime.db.session() as session:
        run_risk_pass(session, NOW)
        assert {"no_activity", "close_date_passed"} <= set(session.scalars(select(DealRisk.kind)))
    # The deal belongs to the team through its owner's rep; here it is set directly.
    with runtime.db.session() as session:
        from pipeline.db import Deal

        session.get(Deal, deal).team_id = team_id
        settings = RiskSettings(no_activity_days_by_stage={"Переговоры": 30}, off=[RiskKind.close_date_passed])
        save_team_risk_settings(session, team_id, settings)
    with runtime.db.session() as session:
        counts = run_risk_pass(session, NOW)
        assert counts.cleared == 2
        assert not set(session.scalars(select(DealRisk.kind))) & {"no_activity", "close_date_passed"}


def test_the_pass_sends_deal_at_risk_once_per_new_risk_and_clears_gone_ones(tmp_path: Path) -> None:
    runtime = deal_runtime(tmp_path)
    add_pipeline(runtime)
    with runtime.db.session() as session:
        session.add(Subscriber(url="http://127.0.0.1:9/hook", secret="s", events=["deal.at_risk"]))
        session.add(Subscriber(url="http://127.0.0.1:9/calls", secret="s", events=["call.processed"]))
    deal = add_deal(runtime, "D")
    _good(runtime, deal, 1, competitors_mentioned=["Битрикс24"])
    healthy = add_deal(runtime, "H")
    _good(runtime, healthy, 1)
    with runtime.db.session() as session:
        counts = run_risk_pass(session, NOW)
        assert (counts.deals, counts.at_risk, counts.events) == (2, 1, 1)
    with runtime.db.session() as session:
        assert run_risk_pass(session, NOW).events == 0, "a risk already known is not announced again"
        [event] = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "deal.at_risk"))
        assert event.payload["external_id"] == "D"
        assert [risk["kind"] for risk in event.payload["risks"]] == ["competitor"]
        deliveries = session.scalars(select(Delivery).where(Delivery.event_id == event.id)).all()
        assert len(deliveries) == 1, "only the subscriber of deal.at_risk gets it"
    add_deal(runtime, "D", stage="143", modified_at=NOW)
    with runtime.db.session() as session:
        assert run_risk_pass(session, NOW).cleared == 1, "a lost deal carries no risks"
        assert session.scalars(select(DealRisk)).all() == []


def test_a_deal_that_breaks_its_check_is_logged_and_the_others_are_still_checked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = deal_runtime(tmp_path)
    add_pipeline(runtime)
    deals = {name: add_deal(runtime, name) for name in ("A", "B", "C", "D")}
    _good(runtime, deals["B"], 20)
    assert run_risk_pass(runtime.db, NOW).new_risks == 4, "no activity on all four"
    for name in ("A", "C", "D"):
        _good(runtime, deals[name], 1, competitors_mentioned=(["Битрикс24"], "approved", "смотрим Битрикс24", 50.0))
    # A quote's start stored as a clock reading instead of seconds: the competitor risk's evidence cannot hold it.
    _good(runtime, deals["B"], 1, competitors_mentioned=(["Globex"], "approved", "смотрим Globex", "0:50"))
    with caplog.at_level("ERROR", logger="services.deals.risk_pass"):
        counts = run_risk_pass(runtime.db, NOW, batch=2)
    assert counts.failed == [deals["B"]] and counts.deals == 4 and counts.events == 3
    with runtime.db.session() as session:
        kinds = {
            name: set(session.scalars(select(DealRisk.kind).where(DealRisk.deal_id == deal)))
            for name, deal in deals.items()
        }
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "deal.at_risk")).all()
    assert kinds == {"A": {"competitor"}, "B": {"no_activity"}, "C": {"competitor"}, "D": {"competitor"}}, (
        "the deals before and after the broken one get their risks; the broken one keeps the risks it had"
    )
    assert sorted(event.payload["external_id"] for event in events) == ["A", "A", "B", "C", "C", "D", "D"]
    [failure] = [record for record in caplog.records if getattr(record, "deal_id", None) == deals["B"]]
    assert f"deal {deals['B']} (amocrm B)" in failure.getMessage() and failure.exc_info is not None
