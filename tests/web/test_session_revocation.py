"""Sessions and API tokens end when a user changes role or is deactivated: each carries the user's session version,
compared on every request, so the change holds whichever way it is made (the CLI, the admin page, or a direct write
such as a sign-in provider's role mapping)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import pipeline.runtime
from cli.main import app
from pipeline.db import APIToken, AuditEntry, User
from pipeline.runtime import Runtime
from services.accounts import make_api_token
from tests.support.web_users import add_people, browser, embedded_runtime, log_in


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("CALLINTEL_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(pipeline.runtime, "_default", None)
    found = embedded_runtime(tmp_path)
    add_people(found)
    return found


def _session_and_token(runtime: Runtime, login: str) -> tuple[TestClient, str]:
    client = browser(runtime)
    log_in(client, login)
    with runtime.db.session() as session:
        token = make_api_token(session, session.scalar(select(User).where(User.login == login)), "bi")
    assert client.get("/app/calls", follow_redirects=False).status_code == 200
    assert TestClient(client.app).get("/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    return client, token


def _refused(client: TestClient, token: str) -> None:
    answer = client.get("/app/calls", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    api = TestClient(client.app).get("/calls", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_a_role_change_from_the_cli_ends_sessions_and_tokens(runtime: Runtime) -> None:
    client, token = _session_and_token(runtime, "rop-a")
    result = CliRunner().invoke(app, ["users", "role", "rop-a", "--role", "admin"])
    assert result.exit_code == 0, result.output
    _refused(client, token)
    with runtime.db.session() as session:
        assert session.scalar(select(APIToken.revoked_at)) is not None
        logged = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "user.changed")).all()
        assert {"via": "command line", "role": "admin"} in logged
    # A fresh sign-in works, with the new role.
    log_in(client, "rop-a")
    assert client.get("/app/admin").status_code == 200


def test_a_role_written_directly_still_ends_sessions_and_tokens(runtime: Runtime) -> None:
    client, token = _session_and_token(runtime, "rop-b")
    with runtime.db.session() as session:
        session.scalar(select(User).where(User.login == "rop-b")).role = "admin"  # type: ignore[union-attr]
    _refused(client, token)


def test_deactivating_ends_sessions_and_tokens(runtime: Runtime) -> None:
    client, token = _session_and_token(runtime, "rep-a")
    admin = browser(runtime)
    csrf = log_in(admin, "admin")
    with runtime.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.login == "rep-a"))
    assert admin.post(f"/app/admin/users/{user_id}/deactivate", data={"csrf_token": csrf}).status_code == 200
    _refused(client, token)


def test_an_unchanged_role_keeps_sessions(runtime: Runtime) -> None:
    client, token = _session_and_token(runtime, "rop-a")
    with runtime.db.session() as session:
        user = session.scalar(select(User).where(User.login == "rop-a"))
        assert user is not None
        user.role = "rop"
        user.name = "Ольга"
    assert client.get("/app/calls", follow_redirects=False).status_code == 200
    assert TestClient(client.app).get("/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 200
