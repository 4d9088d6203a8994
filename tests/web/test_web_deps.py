"""Every page and route gets its runtime through the one dependency (`ingest.deps.get_runtime`, re-exported by
web.deps): overriding it moves the whole app, pages, API, checks of who is asking and the ingest router alike,
onto another runtime, and the app's own runtime is never opened."""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from ingest.api import mango_other_event
from pipeline.db import Team
from tests.support.stored_calls import add_call
from tests.support.web_users import PASSWORD, add_people, csrf_of, embedded_runtime
from web.api_docs import api_docs_page
from web.app import create_app
from web.deps import get_runtime
from web.pages.login import login_page

# The only routes that need no runtime: they answer without reading settings, the database or storage.
NO_RUNTIME = {login_page, mango_other_event, api_docs_page}


def _api_routes(routes: Sequence[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            # Newer FastAPI keeps an included router as one entry holding the router, not copies of its routes.
            yield from _api_routes(router.routes)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def test_every_route_but_a_few_static_ones_depends_on_the_runtime_dependency(tmp_path: Path) -> None:
    app = create_app(embedded_runtime(tmp_path))
    missing = {route.endpoint for route in _api_routes(app.routes) if get_runtime not in set(_calls(route.dependant))}
    assert missing == NO_RUNTIME


def test_overriding_the_runtime_dependency_moves_every_page_and_route(tmp_path: Path) -> None:
    own = embedded_runtime(tmp_path / "own")
    runtime = embedded_runtime(tmp_path / "override", broker_url="stub://", webhook_secret=SecretStr("secret"))
    people = add_people(runtime)
    call_id = add_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    app = create_app(own)
    app.dependency_overrides[get_runtime] = lambda: runtime
    client = TestClient(app, headers={"Accept": "text/html"})

    # The accounts exist only in the override's database.
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"login": "admin", "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": "/app"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    pages = [
        "/app/team",
        f"/app/reps/{people.rep_a}",
        "/app/attention",
        "/app/review",
        "/app/team/export.csv",
        "/app/calls",
        f"/app/calls/{call_id}",
        "/app/approvals",
        f"/app/approvals/{call_id}",
        "/app/admin/users",
        "/app/admin/teams",
        f"/app/admin/teams/{people.team_a}",
        "/app/admin/scripts",
        "/app/admin/crm",
        "/app/admin/quality",
    ]
    for path in pages:
        assert client.get(path).status_code == 200, path
    csrf = csrf_of(client.get("/app/admin/teams").text)
    added = client.post("/app/admin/teams", data={"csrf_token": csrf, "name": "Team C"}, follow_redirects=False)
    assert added.status_code == 303
    with runtime.db.session() as session:
        assert session.scalar(select(Team.id).where(Team.name == "Team C")) is not None

    api = {"Accept": "application/json"}
    assert client.get("/calls", headers=api).json()["total"] == 1
    assert client.get(f"/calls/{call_id}", headers=api).status_code == 200
    assert client.get("/deliveries", headers=api).status_code == 200
    # The override's settings have the webhook secret (a bad signature: 401); the app's own do not (it would be 403).
    assert client.post("/ingest/webhook", content=b"{}", headers=api).status_code == 401

    assert not {"db", "storage", "broker"} & vars(own).keys(), "the app's own runtime was opened"
