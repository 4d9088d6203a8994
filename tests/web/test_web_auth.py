"""Accounts and access on the embedded database: logging in, sessions, CSRF, the login rate limit, API tokens,
and who may see which call."""

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.db import FieldDecisionLog, User
from services.accounts import MAX_FAILURES_PER_LOGIN, UserRole, make_api_token
from tests.support.stored_calls import add_call
from tests.support.web_users import PASSWORD, add_people, browser, csrf_of, embedded_runtime, log_in


@pytest.fixture
def runtime(tmp_path: Path):
    return embedded_runtime(tmp_path)


def _token(runtime, login: str) -> str:
    with runtime.db.session() as session:
        user = session.scalar(select(User).where(User.login == login))
        return make_api_token(session, user, "tests")


def test_the_json_api_is_open_only_until_the_first_account(runtime) -> None:
    client = TestClient(create_app_for(runtime))
    assert client.get("/calls").status_code == 200
    add_people(runtime)
    answer = client.get("/calls")
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]


def create_app_for(runtime):
    from web.app import create_app

    return create_app(runtime)


def test_passwords_are_stored_as_argon2_hashes(runtime) -> None:
    add_people(runtime)
    with runtime.db.session() as session:
        hashes = session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_login_sets_a_guarded_session_cookie_and_goes_where_asked(runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    form = client.get("/login?next=/app/calls")
    answer = client.post(
        "/login",
        data={"login": "ROP-A", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": "/app/calls"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/app/calls"
    cookie = answer.headers["set-cookie"].lower()
    assert "callintel_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_login_never_redirects_off_site(runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"login": "rop-a", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_a_login_form_without_its_csrf_token_is_refused(runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    client.get("/login")
    answer = client.post("/login", data={"login": "rop-a", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert "callintel_session" not in client.cookies


def test_wrong_passwords_are_rate_limited_per_login(runtime, caplog: pytest.LogCaptureFixture) -> None:
    add_people(runtime)
    client = browser(runtime)
    token = csrf_of(client.get("/login").text)
    caplog.set_level(logging.DEBUG)
    for _ in range(MAX_FAILURES_PER_LOGIN):
        answer = client.post("/login", data={"login": "rep-a", "password": "wrong password!", "csrf_token": token})
        assert answer.status_code == 401
        assert "Неверный логин или пароль" in answer.text
    # Now even the right password waits: the guesser cannot tell which one was right.
    answer = client.post("/login", data={"login": "rep-a", "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 429
    assert 0 < int(answer.headers["Retry-After"]) <= 15 * 60
    assert "callintel_session" not in client.cookies
    # Another login from the same address is still let in.
    answer = client.post(
        "/login", data={"login": "rep-b", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert PASSWORD not in caplog.text and "wrong password!" not in caplog.text


def test_pages_need_a_session_and_send_the_browser_to_log_in(runtime) -> None:
    add_people(runtime)
    answer = browser(runtime).get("/app?from=mail", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/app%3Ffrom%3Dmail"


def test_a_post_without_the_csrf_token_fails_and_with_it_works(runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    csrf = log_in(client, "rep-a")
    assert client.post("/locale", data={"locale": "en"}, follow_redirects=False).status_code == 403
    assert (
        client.post("/locale", data={"locale": "en", "csrf_token": "forged"}, follow_redirects=False).status_code == 403
    )
    assert client.post("/locale", data={"locale": "en", "csrf_token": csrf}, follow_redirects=False).status_code == 303
    with runtime.db.session() as session:
        assert session.scalar(select(User.locale).where(User.login == "rep-a")) == "en"


def test_logging_out_ends_the_session(runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    csrf = log_in(client, "rep-a")
    cookie = client.cookies["callintel_session"]
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("callintel_session", cookie)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_a_rep_sees_only_their_own_calls_through_the_api(runtime) -> None:
    people = add_people(runtime)
    own = add_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    other = add_call(runtime, rep_id=people.rep_b, team_id=people.team_b)
    client = TestClient(create_app_for(runtime), headers={"Authorization": f"Bearer {_token(runtime, 'rep-a')}"})
    assert [c["id"] for c in client.get("/calls").json()["calls"]] == [own]
    assert client.get(f"/calls/{own}").status_code == 200
    assert client.get(f"/calls/{other}").status_code == 404
    decisions = {"decisions": [{"field": "budget", "decision": "approve"}]}
    assert client.post(f"/calls/{other}/decisions", json=decisions).status_code == 404
    assert client.delete(f"/calls/{own}").status_code == 403
    assert client.get("/deliveries").status_code == 403


def test_a_head_of_sales_sees_their_team_and_not_another(runtime) -> None:
    people = add_people(runtime)
    own_team = add_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    other_team = add_call(runtime, rep_id=people.rep_b, team_id=people.team_b)
    client = TestClient(create_app_for(runtime), headers={"Authorization": f"Bearer {_token(runtime, 'rop-a')}"})
    assert [c["id"] for c in client.get("/calls").json()["calls"]] == [own_team]
    assert client.get(f"/calls/{other_team}").status_code == 404
    assert client.get(f"/calls?team_id={people.team_b}").json()["calls"] == []


def test_decisions_through_the_api_are_logged_with_who_made_them(runtime) -> None:
    people = add_people(runtime)
    call = add_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    client = TestClient(create_app_for(runtime), headers={"Authorization": f"Bearer {_token(runtime, 'rep-a')}"})
    decisions = {"decisions": [{"field": "budget", "decision": "edit", "value": "250000"}]}
    assert client.post(f"/calls/{call}/decisions", json=decisions).status_code == 200
    with runtime.db.session() as session:
        logged = session.scalars(select(FieldDecisionLog)).all()
    assert [(r.field, r.decision, r.ai_value, r.final_value, r.actor) for r in logged] == [
        ("budget", "edit", "100000", "250000", "rep-a (token 'tests')")
    ]


def test_a_revoked_or_unknown_api_token_is_refused(runtime) -> None:
    add_people(runtime)
    token = _token(runtime, "admin")
    client = TestClient(create_app_for(runtime))
    assert client.get("/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    from pipeline.db import APIToken
    from services.accounts import revoke_api_token

    with runtime.db.session() as session:
        revoke_api_token(session, session.scalar(select(APIToken.id)))
    assert client.get("/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/calls", headers={"Authorization": "Bearer ci_made_up"}).status_code == 401


def test_the_deployment_token_acts_as_an_admin(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path, api_token="deployment-secret")
    people = add_people(runtime)
    add_call(runtime, rep_id=people.rep_b, team_id=people.team_b)
    client = TestClient(create_app_for(runtime), headers={"Authorization": "Bearer deployment-secret"})
    assert client.get("/calls").json()["total"] == 1
    assert client.get("/deliveries").status_code == 200


def test_roles_are_what_the_cli_and_pages_name() -> None:
    assert [role.value for role in UserRole] == ["rep", "rop", "admin"]
