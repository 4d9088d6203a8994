"""Two-factor sign-in: the TOTP generator against RFC 6238's test vectors, enrolment from the user's page with a
server-drawn QR code, the code step after the password with real codes computed from the secret, one-time recovery
codes, the per-role requirement, and the attempt limit on codes."""

import base64
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import generate_key
from pipeline.db import AuditEntry, RecoveryCode, UserMFA
from pipeline.runtime import Runtime
from services.audit import AuditAction
from services.mfa import MAX_CODE_FAILURES, code_at
from tests.support.web_users import PASSWORD, add_people, browser, csrf_of, embedded_runtime, session_csrf

RFC_6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("moment", "expected"), RFC_6238_SHA1)
def test_the_code_generator_matches_rfc_6238(moment: int, expected: str) -> None:
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert code_at(secret, moment, digits=8) == expected


def _secret_of(page: str) -> str:
    found = re.search(r'<code class="mfa-secret">([A-Z2-7]+)</code>', page)
    assert found, "the page shows no TOTP key"
    return found.group(1)


def _password_step(client: TestClient, login: str) -> str:
    """Posts the login form; returns the code step's page (asserting the password led there, not to a session)."""
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token, "next": "/app/calls"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login/mfa"
    assert "callintel_session" not in client.cookies
    return client.get("/login/mfa").text


def _send_code(client: TestClient, page: str, code: str):
    return client.post("/login/mfa", data={"code": code, "csrf_token": csrf_of(page)}, follow_redirects=False)


def _enrol_from_account_page(client: TestClient) -> tuple[str, list[str]]:
    page = client.get("/app/mfa").text
    assert "<svg" in page and "otpauth://totp/" in page
    secret = _secret_of(page)
    # A code one step old is still accepted (clock drift), and leaves the current step for the next sign-in.
    answer = client.post(
        "/app/mfa",
        data={"code": code_at(secret, time.time() - 30), "action": "enrol", "csrf_token": session_csrf(client)},
    )
    assert answer.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>", answer.text)
    assert len(codes) == 10
    return secret, codes


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    # With the secrets key set, TOTP secrets are stored sealed.
    found = embedded_runtime(tmp_path, crm_secrets_key=SecretStr(generate_key()))
    add_people(found)
    return found


def _logged_in(runtime: Runtime, login: str) -> TestClient:
    client = browser(runtime)
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert "callintel_session" in client.cookies
    return client


def test_enrolled_user_signs_in_with_a_totp_code_once_and_a_recovery_code_once(runtime: Runtime) -> None:
    secret, codes = _enrol_from_account_page(_logged_in(runtime, "rop-a"))
    with runtime.db.session() as session:
        stored = session.scalars(select(RecoveryCode.code_hash)).all()
        sealed = session.scalar(select(UserMFA.secret))
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    assert sealed is not None and sealed.startswith("sealed:") and secret not in sealed

    client = browser(runtime)
    page = _password_step(client, "rop-a")
    assert _send_code(client, page, "000000").status_code == 401
    code = code_at(secret, time.time())
    answer = _send_code(client, page, code)
    assert answer.status_code == 303 and answer.headers["location"] == "/app/calls"
    assert client.get("/app/calls").status_code == 200

    # The same code again, from another browser: refused (a code is good for one sign-in).
    other = browser(runtime)
    page = _password_step(other, "rop-a")
    assert _send_code(other, page, code).status_code == 401
    assert _send_code(other, page, codes[0].upper()).status_code == 303
    third = browser(runtime)
    page = _password_step(third, "rop-a")
    assert _send_code(third, page, codes[0]).status_code == 401

    with runtime.db.session() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count(AuditAction.sign_in_mfa) == 2
    assert actions.count(AuditAction.sign_in_mfa_failed) == 3
    assert AuditAction.mfa_enrolled in actions


def test_a_role_that_requires_it_enrols_during_sign_in(tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path, mfa_required_roles=["admin"])
    add_people(runtime)
    # Other roles are not asked.
    assert "callintel_session" in _logged_in(runtime, "rep-a").cookies
    client = browser(runtime)
    page = _password_step(client, "admin")
    assert "<svg" in page and "otpauth://totp/callintel:admin" in page
    answer = _send_code(client, page, code_at(_secret_of(page), time.time()))
    assert answer.status_code == 200 and len(re.findall(r"<li><code>", answer.text)) == 10
    assert client.get("/app/admin").status_code == 200
    with runtime.db.session() as session:
        enrolled = session.scalars(select(UserMFA)).one()
    assert enrolled.confirmed_at is not None and enrolled.secret == _secret_of(page)
    # Required: it cannot be turned off.
    answer = client.post("/app/mfa", data={"code": "123456", "action": "off", "csrf_token": session_csrf(client)})
    assert answer.status_code == 422


def test_wrong_codes_are_limited_like_passwords(runtime: Runtime) -> None:
    secret, _ = _enrol_from_account_page(_logged_in(runtime, "rep-b"))
    client = browser(runtime)
    page = _password_step(client, "rep-b")
    for _ in range(MAX_CODE_FAILURES):
        assert _send_code(client, page, "111111").status_code == 401
    answer = _send_code(client, page, code_at(secret, time.time()))
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert "callintel_session" not in client.cookies


def test_the_code_step_needs_a_pending_sign_in(runtime: Runtime) -> None:
    client = browser(runtime)
    assert client.get("/login/mfa", follow_redirects=False).headers["location"] == "/login"
