"""Single sign-on end to end against a real OpenID Connect provider on loopback (`oidc-provider` on Node): a browser
signs in through the login page's button, the provider's login and consent forms and back; users are made, found
and given their role and team from the provider's groups; tampered ID tokens, a wrong state and an answer brought
back by another browser are refused; password sign-in can be turned off."""

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from pipeline.db import Rep, SignInRequest, Team, User, UserIdentity, WebSession
from pipeline.db.audit import AuditEntry
from pipeline.runtime import Runtime
from services.accounts import UserRole, create_user
from tests.support.browser import serving
from tests.support.oidc_provider import (
    ES256_CLIENT,
    LoopbackProvider,
    cancel_at_provider,
    free_port,
    running_provider,
    sign_in,
)
from tests.support.web_users import PASSWORD, browser, csrf_of, embedded_runtime


@pytest.fixture(scope="module")
def provider() -> Iterator[LoopbackProvider]:
    with running_provider() as found:
        yield found


@pytest.fixture
def deployment(provider: LoopbackProvider, tmp_path: Path) -> Iterator[Runtime]:
    """The app, signing in through the provider, served where the provider sends browsers back. Every role must
    give a second factor at password sign-in, which a sign-in through the provider is not asked for."""
    runtime = embedded_runtime(tmp_path, **provider.settings(mfa_required_roles=["rep", "rop", "admin"]))
    with serving(runtime, port=int(urlsplit(provider.app_url).port or 0)):
        yield runtime


def _count(runtime: Runtime, model: type) -> int:
    with runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.db.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _user(runtime: Runtime, login: str) -> User:
    with runtime.db.session() as session:
        user = session.scalar(select(User).where(User.login == login))
        assert user is not None, f"no user {login}"
        return user


def test_the_first_sign_in_makes_the_user_with_the_mapped_role_and_team_and_the_next_finds_them(
    provider: LoopbackProvider, deployment: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="web.sso_provider")
    client, page = sign_in(provider, "oleg")
    assert page.status_code == 200 and page.url.path == "/app/calls", page.text[:500]
    assert "Олег Иванов" in page.text and "callintel_session" in client.cookies
    user = _user(deployment, "oleg.ivanov@bank.example")
    assert (user.role, user.name, user.locale) == ("rop", "Олег Иванов", "ru")
    with deployment.db.session() as session:
        team = session.get(Team, user.team_id)
        assert team is not None and team.name == "Moscow"
        identity = session.scalar(select(UserIdentity).where(UserIdentity.user_id == user.id))
        assert identity is not None and identity.issuer == provider.issuer and identity.subject == "oleg"
    # No password signs this user in: they come through the provider.
    assert not user.password_hash.startswith("$argon2")
    local = browser(deployment)
    form = local.get("/login")
    password_try = local.post(
        "/login",
        data={"login": user.login, "password": "!sso", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert password_try.status_code == 401

    _, page = sign_in(provider, "oleg")
    assert page.status_code == 200 and page.url.path == "/app/calls"
    assert _count(deployment, User) == 1 and _count(deployment, UserIdentity) == 1
    assert _user(deployment, "oleg.ivanov@bank.example").id == user.id
    # The discovery document and the keys are fetched at most once for both sign-ins (cached for the process).
    fetches = [record.getMessage() for record in caplog.records if record.name == "web.sso_provider"]
    assert sum("signing keys" in line for line in fetches) <= 1 and sum("discovery" in line for line in fetches) <= 1
    signed_in = _audit(deployment, "sign_in.sso")
    assert [entry.actor_id for entry in signed_in] == [user.id, user.id]
    assert signed_in[0].detail == {"issuer": provider.issuer, "subject": "oleg"}


def test_a_rep_signs_in_with_an_es256_token_and_gets_a_directory_entry_by_their_email(
    provider: LoopbackProvider, tmp_path: Path
) -> None:
    runtime = embedded_runtime(tmp_path, **provider.settings(client_id=ES256_CLIENT))
    with serving(runtime, port=int(urlsplit(provider.app_url).port or 0)):
        _, page = sign_in(provider, "anna")
    assert page.status_code == 200, page.text[:500]
    user = _user(runtime, "anna.petrova@bank.example")
    assert (user.role, user.locale) == ("rep", "en")
    with runtime.db.session() as session:
        rep = session.get(Rep, user.rep_id)
        team = session.get(Team, user.team_id)
        assert rep is not None and rep.email == "anna.petrova@bank.example" and rep.name == "Anna Petrova"
        assert team is not None and team.name == "Saint Petersburg" and rep.team_id == team.id


def test_an_existing_account_is_matched_by_a_verified_email_only(
    provider: LoopbackProvider, deployment: Runtime
) -> None:
    with deployment.db.session() as session:
        existing = create_user(session, "maria@bank.example", "Maria", PASSWORD, UserRole.admin).id
    _, page = sign_in(provider, "unverified")
    # An address the provider has not verified links to nobody: this is a new user, not Maria.
    assert page.status_code == 200
    with deployment.db.session() as session:
        identity = session.scalar(select(UserIdentity).where(UserIdentity.subject == "unverified"))
        assert identity is not None and identity.user_id != existing and identity.email is None
        assert session.get(User, identity.user_id).login == "unverified"  # type: ignore[union-attr]

    _, page = sign_in(provider, "maria")
    assert page.status_code == 200 and page.url.path == "/app/calls"
    with deployment.db.session() as session:
        identity = session.scalar(select(UserIdentity).where(UserIdentity.subject == "maria"))
        assert identity is not None and identity.user_id == existing
    assert _user(deployment, "maria@bank.example").role == "admin"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("forged", "signature does not verify"),
        ("expired", "the ID token has expired"),
        ("audience", "claims check"),
        ("nonce", "claims check"),
    ],
)
def test_a_tampered_id_token_is_refused(
    provider: LoopbackProvider, deployment: Runtime, mode: str, reason: str
) -> None:
    provider.tamper(mode)
    client, page = sign_in(provider, "oleg")
    assert page.status_code == 403 and page.url.path == "/login/sso/callback"
    assert "callintel_session" not in client.cookies
    assert _count(deployment, User) == 0 and _count(deployment, WebSession) == 0
    failures = _audit(deployment, "sign_in.sso_failed")
    assert len(failures) == 1 and reason in failures[0].detail["reason"], failures[0].detail


def test_a_wrong_state_a_reused_answer_and_another_browser_are_refused(
    provider: LoopbackProvider, deployment: Runtime
) -> None:
    client, at_provider = sign_in(provider, "oleg", stop_at_callback=True)
    callback = urlsplit(at_provider.headers["location"])
    answer = {key: values[0] for key, values in parse_qs(callback.query).items()}
    base = f"{provider.app_url}{callback.path}"

    wrong = client.get(base + "?" + urlencode({**answer, "state": answer["state"][:-2] + "xx"}))
    assert wrong.status_code == 400 and "callintel_session" not in wrong.cookies

    elsewhere = httpx.get(base + "?" + callback.query)
    assert elsewhere.status_code == 400
    # Each answer is taken once, so the failed try above used it up for its own browser too.
    used = client.get(base + "?" + callback.query)
    assert used.status_code == 400 and "callintel_session" not in used.cookies
    assert _count(deployment, User) == 0 and _count(deployment, WebSession) == 0
    reasons = [entry.detail["reason"] for entry in _audit(deployment, "sign_in.sso_failed")]
    assert [("unknown sign-in request" in r, "another browser" in r) for r in reasons] == [
        (True, False),
        (False, True),
        (True, False),
    ]


def test_a_sign_in_cancelled_at_the_provider_says_so(provider: LoopbackProvider, deployment: Runtime) -> None:
    page = cancel_at_provider(provider)
    assert page.status_code == 403 and page.url.path == "/login/sso/callback"
    assert "Bank ID не выполнил вход" in page.text  # the login page's language: Russian unless chosen
    assert "access_denied" in page.text and _count(deployment, User) == 0
    (failure,) = _audit(deployment, "sign_in.sso_failed")
    assert failure.detail["reason"].startswith("the provider answered access_denied")


def test_accounts_outside_the_allowed_domains_or_with_no_role_are_refused(
    provider: LoopbackProvider, tmp_path: Path
) -> None:
    settings = provider.settings(sso_email_domains=["bank.example"])
    runtime = embedded_runtime(tmp_path, **settings)
    with serving(runtime, port=int(urlsplit(provider.app_url).port or 0)):
        _, outside = sign_in(provider, "guest")
    assert outside.status_code == 403 and "elsewhere.example" in outside.text
    runtime = embedded_runtime(tmp_path / "no-role", **provider.settings())
    with serving(runtime, port=int(urlsplit(provider.app_url).port or 0)):
        _, no_role = sign_in(provider, "guest")
    assert no_role.status_code == 403 and "no role" in no_role.text
    assert _count(runtime, User) == 0


def test_password_sign_in_can_be_turned_off(provider: LoopbackProvider, tmp_path: Path) -> None:
    runtime = embedded_runtime(tmp_path, **provider.settings(password_login=False))
    with runtime.db.session() as session:
        create_user(session, "admin", "Admin", PASSWORD, UserRole.admin)
    client = browser(runtime)
    page = client.get("/login")
    assert 'name="password"' not in page.text and "Bank ID" in page.text and 'href="/login/sso?next=/"' in page.text
    answer = client.post(
        "/login",
        data={"login": "admin", "password": PASSWORD, "csrf_token": "any", "next": "/app"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "callintel_session" not in client.cookies
    assert _count(runtime, WebSession) == 0

    with_passwords = browser(embedded_runtime(tmp_path / "passwords", **provider.settings()))
    page = with_passwords.get("/login")
    assert 'name="password"' in page.text and "Bank ID" in page.text


def test_a_provider_that_does_not_answer_or_names_another_issuer_is_told_apart(
    provider: LoopbackProvider, tmp_path: Path
) -> None:
    silent = embedded_runtime(tmp_path, sso_issuer=f"http://127.0.0.1:{free_port()}", sso_client_id="callintel")
    client = browser(silent)
    client.cookies.set("callintel_lang", "en")
    page = client.get("/login/sso")
    assert page.status_code == 503 and "does not answer right now" in page.text
    # The discovery document names http://127.0.0.1:PORT; an issuer configured as localhost is another issuer.
    elsewhere = provider.issuer.replace("127.0.0.1", "localhost")
    misnamed = embedded_runtime(tmp_path / "misnamed", sso_issuer=elsewhere, sso_client_id="callintel")
    client = browser(misnamed)
    client.cookies.set("callintel_lang", "en")
    page = client.get("/login/sso")
    assert page.status_code == 502 and "not set up correctly" in page.text
    assert _count(silent, SignInRequest) == 0 and _count(misnamed, SignInRequest) == 0
