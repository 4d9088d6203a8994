"""Analysed calls with chosen scores, scorecard answers and deal-gap signals, for the team views' tests: a call as
tests/stored_calls.add_call writes it, with the rows the analyze stage writes for the team views."""

from datetime import datetime

from pipeline.db import CallResultRow, CallSignalRow, ScorecardItemRow
from pipeline.runtime import Runtime
from tests.support.stored_calls import add_call

ITEM_TITLES = {"greeting": "Поздоровался и представился", "budget": "Выяснил бюджет", "next_step": "Назначил шаг"}


def add_scored_call(
    runtime: Runtime,
    *,
    rep_id: int | None,
    team_id: int | None,
    created_at: datetime,
    score: float | None,
    auto_failed: bool = False,
    talk_ratio: float = 0.5,
    script: tuple[str, str] = ("ru_b2b_discovery", "1"),
    answers: dict[str, str] | None = None,
    signals: list[tuple[str, str, str]] = (),
) -> str:
    """`answers`: item id -> yes/no/n/a/not_determined; `signals`: (kind, severity, text)."""
    call_id = add_call(runtime, rep_id=rep_id, team_id=team_id, created_at=created_at)
    with runtime.db.session() as session:
        row = session.get(CallResultRow, call_id)
        row.score_percent = score
        row.auto_failed = auto_failed
        row.rep_talk_ratio = talk_ratio
        row.script_id, row.script_version = script
        for item_id, answer in (answers or {}).items():
            session.add(
                ScorecardItemRow(
                    call_id=call_id,
                    item_id=item_id,
                    section_id="main",
                    title=ITEM_TITLES.get(item_id, item_id),
                    answer=answer,
                    score={"yes": 1.0, "no": 0.0}.get(answer),
                    weight=1.0,
                    source="rule",
                    auto_fail=False,
                )
            )
        for kind, severity, text in signals:
            session.add(CallSignalRow(call_id=call_id, kind=kind, severity=severity, text=text))
    return call_id
