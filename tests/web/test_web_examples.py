"""The examples and catalogue pages on PostgreSQL: a head of sales previews a changed item on the team's calls and
saves a new version; an override becomes an example from the call page after a confirmation; the catalogue is kept
per team; reps and other teams are kept out."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from models import CallResult
from pipeline.db import StoredDocument
from pipeline.runtime import Runtime
from pipeline.stages import load_output
from services.catalogue import products
from services.overrides import override_item
from tests.support.example_calls import said
from tests.support.scored_calls import add_scored_call
from tests.support.servers import Isolated
from tests.support.stored_calls import stub_runtime
from tests.support.web_users import add_people, browser, log_in

TIMELINE_SAID = "А к какому числу вам нужно, чтобы всё заработало у отдела?"


@pytest.fixture
def runtime(isolated: Isolated) -> Iterator[Runtime]:
    runtime = stub_runtime(isolated.settings)
    yield runtime
    runtime.db.engine.dispose()


def _form(csrf: str, action: str, **fields: str) -> dict[str, str]:
    base = {"csrf_token": csrf, "team": "Team A", "item": "timeline", "base_version": "1.4", "action": action}
    return base | fields


def test_a_head_of_sales_previews_then_saves_examples(runtime: Runtime) -> None:
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    said(runtime, call_id, ["Здравствуйте, компания Ромашка.", TIMELINE_SAID])
    client = browser(runtime)
    csrf = log_in(client, "rop-a")

    page = client.get("/app/admin/examples?item=timeline")
    assert page.status_code == 200
    assert "Примеры к пунктам скрипта" in page.text and "версия 1.4" in page.text
    assert 'value="save"' not in page.text  # saving comes after a preview

    example = "к какому числу вам нужно чтобы всё заработало"
    previewed = client.post("/app/admin/examples", data=_form(csrf, "preview", add_positive=example))
    assert previewed.status_code == 200
    assert "1 последний звонок" in previewed.text and "меняется 1 ответ" in previewed.text
    assert (
        f'href="/app/calls/{call_id}"' in previewed.text and "«А к какому числу вам нужно, чтобы всё»" in previewed.text
    )
    assert 'value="save"' in previewed.text
    with runtime.db.session() as session:
        assert session.scalar(select(StoredDocument)) is None  # a preview stores nothing

    saved = client.post("/app/admin/examples", data=_form(csrf, "save", add_positive=example), follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=1.5")
    assert "Сохранено как версия 1.5" in client.get(saved.headers["location"]).text
    shown = client.get("/app/admin/examples?item=timeline").text
    assert "версия 1.5" in shown and f'value="positive:{example}"' in shown

    known = client.post("/app/admin/examples", data=_form(csrf, "preview", base_version="1.5", add_positive=example))
    assert known.status_code == 422 and "У пункта уже есть такой пример" in known.text
    stale = client.post("/app/admin/examples", data=_form(csrf, "save", add_positive="когда стартуем"))
    assert stale.status_code == 422 and "Скрипт изменился" in stale.text
    empty = client.post("/app/admin/examples", data=_form(csrf, "preview", base_version="1.5"))
    assert empty.status_code == 422 and "Добавьте или отметьте" in empty.text

    other_team = client.post("/app/admin/examples", data=_form(csrf, "preview", team="Team B", add_positive="x"))
    assert other_team.status_code == 404
    rep = browser(runtime)
    log_in(rep, "rep-a")
    assert rep.get("/app/admin/examples").status_code == 403


def test_an_override_is_added_as_an_example_after_a_confirmation(runtime: Runtime) -> None:
    people = add_people(runtime)
    call_id = add_scored_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    analysed = load_output(runtime, call_id, "result", CallResult).analysis.scorecard
    with runtime.db.session() as session:
        override_item(session, call_id, analysed, "budget", "no", "вопрос слишком общий", user_id=None, actor="rop-a")
    client = browser(runtime)
    csrf = log_in(client, "rop-a")
    call_page = client.get(f"/app/calls/{call_id}").text
    link = f"/app/admin/examples/from-call/{call_id}/budget"
    assert f'href="{link}"' in call_page and "Добавить как пример" in call_page

    confirm = client.get(link)
    assert confirm.status_code == 200
    assert ">Какой бюджет вы планируете?</textarea>" in confirm.text
    assert 'value="negative" checked' in confirm.text
    done = client.post(
        link,
        data={"csrf_token": csrf, "text": "Какой бюджет вы планируете?", "kind": "negative", "base_version": "1.4"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("item=budget&saved=1.5")
    assert "Какой бюджет вы планируете?" in client.get(done.headers["location"]).text
    assert client.get(f"/app/admin/examples/from-call/{call_id}/timeline").status_code == 409


def test_the_product_catalogue_page(runtime: Runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    csrf = log_in(client, "rop-a")
    added = client.post(
        "/app/admin/catalogue",
        data={"csrf_token": csrf, "team": "Team A", "name": "Онлайн-касса", "synonyms": "кассовый аппарат, касса"},
    )
    assert added.status_code == 200 and "кассовый аппарат, касса" in added.text
    assert client.post("/app/admin/catalogue", data={"team": "Team A", "name": "X"}).status_code == 403  # no CSRF
    nameless = client.post("/app/admin/catalogue", data={"csrf_token": csrf, "team": "Team A", "name": " "})
    assert nameless.status_code == 422 and "Укажите название продукта" in nameless.text
    assert (
        client.post("/app/admin/catalogue", data={"csrf_token": csrf, "team": "Team B", "name": "X"}).status_code == 404
    )
    removed = client.post(
        "/app/admin/catalogue/remove", data={"csrf_token": csrf, "team": "Team A", "name": "Онлайн-касса"}
    )
    assert removed.status_code == 200 and "Продуктов пока нет" in removed.text
    admin = TestClient(client.app, headers={"Accept": "text/html"})
    admin_csrf = log_in(admin, "admin")
    admin.post("/app/admin/catalogue", data={"csrf_token": admin_csrf, "team": "Team B", "name": "Scales"})
    assert "Scales" in admin.get("/app/admin/catalogue?team=Team+B").text
    with runtime.db.session() as session:
        assert [p.name for p in products(session, "Team B")] == ["Scales"]
