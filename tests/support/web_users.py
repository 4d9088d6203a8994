"""Two teams with a rep each, their heads of sales and an admin, in a runtime's database; logging in through the
login form as a browser does."""

import re
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from pipeline.db import WebSession
from pipeline.directory import save_rep, save_team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.accounts import UserRole, create_user, token_hash
from web.app import create_app

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class People:
    team_a: int
    team_b: int
    rep_a: int
    rep_b: int


def add_people(runtime: Runtime) -> People:
    """Logins: rep-a (team A), rep-b (team B), rop-a, rop-b, admin; all with PASSWORD."""
    with runtime.db.session() as session:
        team_a, _ = save_team(session, "Team A")
        team_b, _ = save_team(session, "Team B")
        rep_a = save_rep(session, "Анна Смирнова", extension="101", team="Team A")
        rep_b = save_rep(session, "Bob Stone", extension="201", team="Team B")
        create_user(session, "rep-a", "Анна Смирнова", PASSWORD, UserRole.rep, rep_id=rep_a.id)
        create_user(session, "rep-b", "Bob Stone", PASSWORD, UserRole.rep, rep_id=rep_b.id, locale="en")
        create_user(session, "rop-a", "Ольга РОП", PASSWORD, UserRole.rop, team="Team A")
        create_user(session, "rop-b", "Rita ROP", PASSWORD, UserRole.rop, team="Team B", locale="en")
        create_user(session, "admin", "Admin", PASSWORD, UserRole.admin, locale="en")
        return People(team_a.id, team_b.id, rep_a.id, rep_b.id)


def embedded_runtime(tmp_path: Path, **settings: object) -> Runtime:
    return Runtime(Settings(data_dir=tmp_path, llm_backend="none", **settings))


def browser(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime), headers={"Accept": "text/html"})


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, login: str, password: str = PASSWORD) -> str:
    """Logs in through the form; returns the CSRF token of the session's pages."""
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": csrf_of(form.text), "next": "/app"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return session_csrf(client)


def session_csrf(client: TestClient) -> str:
    """The CSRF token every page of the client's session carries."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.db.session() as session:
        row = session.get(WebSession, token_hash(client.cookies["callintel_session"]))
        assert row is not None
        return row.csrf_token
