"""Out-of-range integers and NUL bytes in paths and filters are refused with 400 on every route, never a 500: on
PostgreSQL (a real server; it refused them as DataError) and on SQLite (whose driver cannot bind an integer past
64 bits). The routes are read from the app itself, so a route added later is probed too."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.servers import Isolated
from tests.support.web_users import add_people, log_in
from web.app import create_app
from web.input_bounds import REASON

PAST_INT32 = "99999999999"
PAST_INT64 = str(10**20)
NUL = "\x00"


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _params(dependant: Any, kind: str) -> Iterator[Any]:
    yield from getattr(dependant, f"{kind}_params")
    for sub in dependant.dependencies:
        yield from _params(sub, kind)


def _takes_int(field: Any) -> bool:
    annotation = field.field_info.annotation
    return annotation is int or int in get_args(annotation)


def _bad(fields: dict[str, Any], match: re.Match[str], big: str) -> str:
    field = fields.get(match.group(1))
    return big if field is not None and _takes_int(field) else quote(NUL)


def probes(app: FastAPI, big: str) -> list[tuple[str, str]]:
    """(method, url) pairs: every path parameter given a bad value at once; for a route without path parameters,
    each of its query parameters in turn."""
    found = []
    for path, route in _routes(app.router.routes):
        methods = sorted(route.methods - {"HEAD"})
        path_params = {field.alias: field for field in _params(route.dependant, "path")}
        if path_params:
            url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda match, fields=path_params: _bad(fields, match, big), path)
            found += [(method, url) for method in methods]
            continue
        for field in _params(route.dependant, "query"):
            value = big if _takes_int(field) else NUL
            found += [(method, f"{path}?{field.alias}={quote(value)}") for method in methods]
    return found


def read_by_hand(big: str) -> list[tuple[str, str]]:
    """Filters the team pages read from the query string themselves, so the app's routes do not list them."""
    urls = [f"/app/team?team={big}", f"/app/team?rep={big}", f"/app/attention?team={big}", "/app/team?script=%00"]
    return [("GET", url) for url in [*urls, "/app/calls?q=%00", "/app/review?team=%00"]]


def _probe_all(runtime: Runtime, big: str, refused: list[str]) -> None:
    """Every probe answered below 500; those in `refused` with 400 and the reason."""
    add_people(runtime)
    app = create_app(runtime)
    with TestClient(app) as client:
        csrf = log_in(client, "admin")
        answers = {}
        for method, url in probes(app, big) + read_by_hand(big):
            data = {"csrf_token": csrf} if method != "GET" else None
            answer = client.request(method, url, data=data, headers={"Authorization": "Bearer api-token"})
            answers[(method, url)] = answer
        server_errors = {probe: (a.status_code, a.text[:200]) for probe, a in answers.items() if a.status_code >= 500}
        assert server_errors == {}
        for url in refused:
            answer = client.get(url)
            assert (answer.status_code, answer.json()) == (400, {"detail": REASON}), url
        # The probes reached the handlers as a signed-in admin, not a redirect to the login page.
        assert client.get(f"/app/reps/{big}", follow_redirects=False).status_code in (400, 404)
        assert client.get("/app").status_code == 200


def test_every_route_refuses_out_of_range_ids_and_nul_bytes_on_postgresql(isolated: Isolated) -> None:
    runtime = Runtime(Settings(**isolated.settings.model_dump() | {"api_token": "api-token", "broker_url": "stub://"}))
    # The finding's own examples, each a 500 before.
    _probe_all(runtime, PAST_INT32, [f"/app/reps/{PAST_INT32}", f"/calls?rep_id={PAST_INT32}", "/app/calls/%00"])


def test_every_route_refuses_integers_past_64_bits_on_sqlite(tmp_path: Path) -> None:
    runtime = Runtime(Settings(data_dir=tmp_path, llm_backend="none", api_token="api-token", broker_url="stub://"))
    _probe_all(runtime, PAST_INT64, [f"/app/reps/{PAST_INT64}", f"/calls?rep_id={PAST_INT64}"])


def test_the_probes_cover_every_route_family(tmp_path: Path) -> None:
    app = create_app(Runtime(Settings(data_dir=tmp_path, llm_backend="none")))
    urls = {url for _, url in probes(app, PAST_INT32)}
    families = (
        "/app/reps/",
        "/app/calls/%00",
        "/app/admin/users/",
        "/app/admin/teams/",
        "/app/approvals/%00",
        "/app/deals/",
        "/calls?rep_id=",
        "/calls/%00",
        "/deliveries/",
    )
    assert [family for family in families if not any(url.startswith(family) for url in urls)] == []
