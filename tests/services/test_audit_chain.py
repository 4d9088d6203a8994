"""The access audit log's hash chain on PostgreSQL and SQLite: the database refuses edits, an edit made anyway (the
trigger dropped as superuser) or a removed entry is found by `verify` and `callintel audit verify`, and concurrent
appends still build one linear chain."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from pipeline.db import AuditEntry
from pipeline.runtime import Runtime
from services import audit
from services.audit import AuditError, verify
from tests.support.servers import Isolated, Services
from tests.support.web_users import embedded_runtime


def _record(runtime: Runtime, n: int) -> None:
    for i in range(n):
        with runtime.db.session() as session:
            audit.record(session, actor_id=None, action="call.opened", target=f"call:c{i}", detail={"n": i}, ip="::1")


def test_postgresql_refuses_edits_and_verify_finds_a_forced_one(isolated: Isolated, services: Services) -> None:
    runtime = Runtime(isolated.settings)
    _record(runtime, 5)
    with runtime.db.session() as session:
        assert verify(session).intact and verify(session).checked == 5
    for statement in ("UPDATE audit_log SET target = 'x' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(DBAPIError, match="append-only"), runtime.db.session() as session:
            session.execute(text(statement))
    admin_url = services.pg_admin_url.rsplit("/", 1)[0] + f"/{isolated.database}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        conn.execute("""UPDATE audit_log SET detail = '{"n": 99}' WHERE id = 3""")
    with runtime.db.session() as session:
        found = verify(session)
    assert (found.broken_id, found.checked) == (3, 2) and "edited" in found.reason
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("""UPDATE audit_log SET detail = '{"n": 2}' WHERE id = 3""")
        conn.execute("DELETE FROM audit_log WHERE id = 4")
    with runtime.db.session() as session:
        found = verify(session)
    assert found.broken_id == 5 and "removed" in found.reason


def test_concurrent_appends_on_postgresql_keep_one_chain(isolated: Isolated) -> None:
    runtime = Runtime(isolated.settings)
    runtime.db.migrate()

    def one(i: int) -> None:
        with runtime.db.session() as session:
            audit.record(session, actor_id=None, action="call.audio_played", target=f"call:{i}")

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(one, range(60)))
    with runtime.db.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert verify(session).intact
    assert len(rows) == 60 and len({row.prev_hash for row in rows}) == 60


def test_sqlite_refuses_edits_and_the_cli_reports_the_first_broken_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = embedded_runtime(tmp_path)
    _record(runtime, 4)
    with pytest.raises(DBAPIError, match="append-only"), runtime.db.session() as session:
        session.execute(text("UPDATE audit_log SET ip = '1.2.3.4' WHERE id = 2"))
    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "4 entries" in result.output
    with runtime.db.session() as session:
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("UPDATE audit_log SET ip = '1.2.3.4' WHERE id = 2"))
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and "entry 2" in result.output
    out = tmp_path / "audit.jsonl"
    assert CliRunner().invoke(app, ["audit", "export", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) == 4


def test_an_action_that_is_not_dotted_words_is_refused(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path)
    with pytest.raises(AuditError, match="dotted"), runtime.db.session() as session:
        audit.record(session, actor_id=None, action="Opened Call")
