"""Finding 4 of the security review: concurrent wrong passwords for one account. A real pool of 40 clients posts to
the login form of the app served by uvicorn at the same moment; at most the limit may get their password checked,
on PostgreSQL and on the embedded SQLite database alike."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from pipeline.db import AuditEntry
from pipeline.runtime import Runtime
from services.accounts import MAX_FAILURES_PER_LOGIN
from services.audit import AuditAction
from tests.support.browser import serving
from tests.support.servers import Isolated
from tests.support.web_users import PASSWORD, add_people, csrf_of, embedded_runtime

CLIENTS = 40


def _storm(base: str, password: str) -> list[int]:
    """Each client fetches the form (its own CSRF cookie), waits for all, then all post at once."""
    ready = threading.Barrier(CLIENTS)

    def one(_: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as client:
            token = csrf_of(client.get("/login").text)
            ready.wait()
            answer = client.post("/login", data={"login": "rep-a", "password": password, "csrf_token": token})
            return answer.status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(CLIENTS)))


def _checked_wrong(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        details = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == AuditAction.sign_in_password_failed)
        ).all()
    return sum(1 for detail in details if detail.get("reason") == "wrong")


def _assert_limit_holds(runtime: Runtime) -> None:
    add_people(runtime)
    with serving(runtime) as base:
        statuses = _storm(base, "wrong password!")
        checked = statuses.count(401)
        assert set(statuses) <= {401, 429}, statuses
        assert 1 <= checked <= MAX_FAILURES_PER_LOGIN, statuses
        assert statuses.count(429) == CLIENTS - checked
        # The audit log agrees: only the checked ones were wrong passwords, the rest were turned away unchecked.
        assert _checked_wrong(runtime) == checked
        # Even the right password now waits out the window.
        with httpx.Client(base_url=base) as client:
            token = csrf_of(client.get("/login").text)
            answer = client.post("/login", data={"login": "rep-a", "password": PASSWORD, "csrf_token": token})
            assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0


def test_concurrent_wrong_passwords_on_postgresql_check_at_most_the_limit(isolated: Isolated) -> None:
    _assert_limit_holds(Runtime(isolated.settings))


def test_concurrent_wrong_passwords_on_sqlite_check_at_most_the_limit(tmp_path: Path) -> None:
    _assert_limit_holds(embedded_runtime(tmp_path))


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return embedded_runtime(tmp_path)


def test_a_success_clears_the_count_and_gives_back_the_address_slot(runtime: Runtime) -> None:
    from services.accounts import LoginRefused, sign_in

    add_people(runtime)
    for _ in range(MAX_FAILURES_PER_LOGIN - 1):
        with pytest.raises(LoginRefused):
            sign_in(runtime.db, "rep-a", "wrong password!", "10.0.0.1")
    assert sign_in(runtime.db, "rep-a", PASSWORD, "10.0.0.1").login == "rep-a"
    # The count started again: another four wrong ones and the right one still get in.
    for _ in range(MAX_FAILURES_PER_LOGIN - 1):
        with pytest.raises(LoginRefused) as refused:
            sign_in(runtime.db, "rep-a", "wrong password!", "10.0.0.1")
        assert refused.value.retry_after_s is None
    assert sign_in(runtime.db, "rep-a", PASSWORD, "10.0.0.1").login == "rep-a"
