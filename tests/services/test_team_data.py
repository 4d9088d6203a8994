"""The rows the team views read: the schema the migrations build matches the models, the analyze stage writes a
call's scorecard answers and signals and replaces them when the call is analysed again, an override changes its
row, and the CSV cells are safe in a spreadsheet."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update

from models import Analysis, Stage
from pipeline.db import Base, Call, CallSignalRow, Database, ScorecardItemRow
from pipeline.stages import load_output, run_stage
from services.overrides import override_item
from services.team_export import spreadsheet_safe
from tests.support.stored_calls import add_call
from tests.support.web_users import embedded_runtime


def test_the_migrations_build_the_schema_the_models_describe(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'callintel.db'}")
    database.migrate()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    # The check itself notices a difference: a table the migrations never made.
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE call_signals")
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert {diff[0] for diff in compare_metadata(context, Base.metadata)} == {"add_table", "add_index"}


def _rows(runtime, call_id: str) -> tuple[list[tuple[str, str]], int]:
    with runtime.db.session() as session:
        items = session.execute(
            select(ScorecardItemRow.item_id, ScorecardItemRow.answer)
            .where(ScorecardItemRow.call_id == call_id)
            .order_by(ScorecardItemRow.id)
        ).all()
        signals = session.scalar(select(func.count()).where(CallSignalRow.call_id == call_id))
    return [tuple(row) for row in items], signals


def test_analysis_writes_scorecard_rows_and_replaces_them_when_run_again(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    call_id = add_call(runtime, done=(Stage.transcribe, Stage.diarize))
    run_stage(call_id, Stage.analyze, runtime)
    analysis = load_output(runtime, call_id, "analysis", Analysis)
    expected = [(item.item_id, item.answer.value) for item in analysis.scorecard.items]
    assert expected, "the default script has items"
    assert _rows(runtime, call_id) == (expected, len(analysis.signals))
    with runtime.db.session() as session:
        session.execute(update(Call).where(Call.id == call_id).values(next_stage=Stage.analyze))
    run_stage(call_id, Stage.analyze, runtime)
    assert _rows(runtime, call_id) == (expected, len(analysis.signals))
    first = analysis.scorecard.items[0]
    changed = "no" if first.answer.value == "yes" else "yes"
    with runtime.db.session() as session:
        override_item(
            session, call_id, analysis.scorecard, first.item_id, changed, "heard it", user_id=None, actor="olga"
        )
    assert _rows(runtime, call_id)[0] == [(first.item_id, changed), *expected[1:]], "an override changes the row too"
    with runtime.db.session() as session:
        session.delete(session.get(Call, call_id))
    assert _rows(runtime, call_id) == ([], 0), "a deleted call takes its rows with it"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+7 495 123-45-67", "'+7 495 123-45-67"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Анна Смирнова", "Анна Смирнова"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe
