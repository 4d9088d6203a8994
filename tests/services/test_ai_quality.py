"""Acceptance rates of proposed CRM values and override rates of script items, on known decision logs."""

from pathlib import Path

import pytest

from pipeline.db import CallResultRow, FieldDecisionLog, ItemOverride
from services.ai_quality import field_acceptance, item_override_rates
from tests.support.stored_calls import add_call
from tests.support.web_users import embedded_runtime


@pytest.fixture
def runtime(tmp_path: Path):
    return embedded_runtime(tmp_path)


def _decision(call_id: str, field: str, decision: str, ai: object, final: object) -> FieldDecisionLog:
    return FieldDecisionLog(call_id=call_id, field=field, decision=decision, ai_value=ai, final_value=final, actor="t")


def test_field_acceptance_counts_the_latest_decision_per_call(runtime) -> None:
    calls = [add_call(runtime) for _ in range(4)]
    with runtime.db.session() as session:
        session.add_all(
            [
                _decision(calls[0], "budget", "approve", "100000", "100000"),
                _decision(calls[1], "budget", "edit", "100000", "90000 RUB"),
                # Rejected first, then approved: the approval counts, once.
                _decision(calls[2], "budget", "reject", "100000", None),
                _decision(calls[2], "budget", "approve", "100000", "100000"),
                _decision(calls[3], "budget", "reject", "50000", None),
                # An edit back to the AI's own value is the AI being right.
                _decision(calls[0], "next_step", "edit", "Демо", "Демо"),
                # Approving after an edit keeps the rep's value: edited.
                _decision(calls[1], "next_step", "edit", "Демо", "Звонок"),
                _decision(calls[1], "next_step", "approve", "Демо", "Звонок"),
            ]
        )
    with runtime.db.session() as session:
        rates = {rate.field: rate for rate in field_acceptance(session)}
    budget = rates["budget"]
    assert (budget.n, budget.approved, budget.edited, budget.rejected) == (4, 2, 1, 1)
    assert (budget.approved_share, budget.edited_share, budget.rejected_share) == (0.5, 0.25, 0.25)
    step = rates["next_step"]
    assert (step.n, step.approved, step.edited, step.rejected) == (2, 1, 1, 0)
    assert list(rates) == ["budget", "next_step"]


def test_item_override_rate_is_over_calls_analysed_with_that_script_version(runtime) -> None:
    calls = [add_call(runtime) for _ in range(5)]  # each analysed with ru_b2b_discovery version 1
    with runtime.db.session() as session:
        session.get(CallResultRow, calls[4]).script_version = "2"

        def override(call_id: str, item: str, version: str = "1") -> ItemOverride:
            return ItemOverride(
                call_id=call_id,
                item_id=item,
                script_id="ru_b2b_discovery",
                script_version=version,
                ai_answer={"answer": "no"},
                answer="yes",
                reason="сказано на 3:10",
                actor="rop",
            )

        session.add_all(
            [
                override(calls[0], "greeting"),
                override(calls[0], "greeting"),  # changed twice on one call: one overridden call
                override(calls[1], "greeting"),
                override(calls[2], "budget_asked"),
                override(calls[4], "greeting", "2"),
                # Overridden under version 1, but the call's latest analysis is version 2: not counted for 1.
                override(calls[4], "budget_asked"),
            ]
        )
    with runtime.db.session() as session:
        rates = {(r.script_version, r.item_id): (r.overridden, r.calls) for r in item_override_rates(session)}
        figures = {(r.script_version, r.item_id): r.rate for r in item_override_rates(session)}
    assert rates == {("1", "budget_asked"): (1, 4), ("1", "greeting"): (2, 4), ("2", "greeting"): (1, 1)}
    assert figures[("1", "greeting")] == 0.5 and figures[("2", "greeting")] == 1.0
