"""The admin pages on the embedded database: admins only; users and tokens; team settings with their checks; call
scripts checked before they are stored; CRM field maps; and the AI quality figures on known decisions."""

import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import FieldMap, generate_key
from pipeline.db import APIToken, CRMConnection, FieldDecisionLog, ItemOverride, StoredDocument, Team, User
from scoring_scripts.loader import SCRIPTS_DIR
from services.accounts import token_user
from services.crm_connections import connect
from tests.support.stored_calls import add_call
from tests.support.web_users import add_people, browser, csrf_of, embedded_runtime, log_in

ADMIN_PAGES = ["/app/admin", "/app/admin/users", "/app/admin/teams", "/app/admin/scripts", "/app/admin/quality"]
# The bundled script at a version of the test's own, whatever version the bundled file is at.
SCRIPT = re.sub(
    r"^version: .*$",
    'version: "1.0"',
    (SCRIPTS_DIR / "en_b2b_discovery.yaml").read_text(encoding="utf-8"),
    count=1,
    flags=re.M,
)
KEY = generate_key()


@pytest.fixture
def runtime(tmp_path: Path):
    return embedded_runtime(tmp_path, broker_url="stub://", crm_secrets_key=SecretStr(KEY))


@pytest.fixture
def people(runtime):
    return add_people(runtime)


@pytest.fixture
def admin(runtime, people):
    client = browser(runtime)
    return client, log_in(client, "admin")


def _scripts(runtime) -> list[tuple[str, str]]:
    with runtime.db.session() as session:
        return [(d.name, d.version) for d in session.scalars(select(StoredDocument).order_by(StoredDocument.id))]


def test_admin_pages_are_for_admins_only(runtime, people) -> None:
    for login in ("rep-a", "rop-a"):
        client = browser(runtime)
        csrf = log_in(client, login)
        for path in ADMIN_PAGES:
            assert client.get(path).status_code == 403, (login, path)
        answer = client.post("/app/admin/teams", data={"csrf_token": csrf, "name": "Shadow"})
        assert answer.status_code == 403
    with runtime.db.session() as session:
        assert session.scalar(select(Team).where(Team.name == "Shadow")) is None
    client = browser(runtime)
    log_in(client, "admin")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_users_are_added_and_deactivated_and_tokens_made_and_revoked(runtime, people, admin) -> None:
    client, csrf = admin
    answer = client.post(
        "/app/admin/users",
        data={
            "csrf_token": csrf,
            "login": "rop-new",
            "name": "Нина",
            "role": "rop",
            "team": "Team B",
            "locale": "ru",
            "password": "long enough password",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    refused = client.post(
        "/app/admin/users",
        data={"csrf_token": csrf, "login": "rep-x", "role": "rep", "password": "long enough password"},
    )
    assert refused.status_code == 422 and "a rep&#39;s account names their directory entry" in refused.text
    with runtime.db.session() as session:
        nina = session.scalar(select(User).where(User.login == "rop-new"))
        assert (nina.role, nina.team_id, nina.active) == ("rop", people.team_b, True)
        assert session.scalar(select(User).where(User.login == "rep-x")) is None

    made = client.post("/app/admin/tokens", data={"csrf_token": csrf, "user_id": nina.id, "name": "bi-export"})
    assert made.status_code == 200
    token = made.text.split('readonly value="')[1].split('"')[0]
    with runtime.db.session() as session:
        assert token_user(session, token) is not None
        token_id = session.scalar(select(APIToken.id).where(APIToken.name == "bi-export"))
    assert token not in client.get("/app/admin/users").text  # shown once

    client.post(f"/app/admin/users/{nina.id}/deactivate", data={"csrf_token": csrf})
    with runtime.db.session() as session:
        assert session.get(User, nina.id).active is False
        assert token_user(session, token) is None
        assert session.get(APIToken, token_id).revoked_at is not None
    nina_client = browser(runtime)
    form = nina_client.get("/login")
    refused_login = nina_client.post(
        "/login", data={"login": "rop-new", "password": "long enough password", "csrf_token": csrf_of(form.text)}
    )
    assert refused_login.status_code == 401

    rep_token = client.post("/app/admin/tokens", data={"csrf_token": csrf, "user_id": 1, "name": "pbx"})
    with runtime.db.session() as session:
        pbx = session.scalar(select(APIToken).where(APIToken.name == "pbx"))
    assert rep_token.status_code == 200
    client.post(f"/app/admin/tokens/{pbx.id}/revoke", data={"csrf_token": csrf})
    with runtime.db.session() as session:
        assert session.get(APIToken, pbx.id).revoked_at is not None

    me = client.post("/app/admin/users/5/deactivate", data={"csrf_token": csrf})
    assert me.status_code == 422 and "own account" in me.text


def test_team_settings_are_checked_and_saved(runtime, people, admin) -> None:
    client, csrf = admin
    url = f"/app/admin/teams/{people.team_a}"
    bad = client.post(url, data={"csrf_token": csrf, "timezone": "Europe/Mordor", "script": "en_b2b_discovery"})
    assert bad.status_code == 422 and "unknown time zone &#39;Europe/Mordor&#39;" in bad.text
    missing = client.post(url, data={"csrf_token": csrf, "script": "nonexistent"})
    assert missing.status_code == 422 and "no built-in or stored call script" in missing.text
    with runtime.db.session() as session:
        team = session.get(Team, people.team_a)
        assert (team.timezone, team.script) == (None, None)

    good = client.post(
        url,
        data={
            "csrf_token": csrf,
            "script": "en_b2b_discovery",
            "timezone": "Europe/Moscow",
            "language": "ru",
            "summary_template": "discovery",
            "vocabulary": "Bitrix24\namoCRM, Контур",
        },
    )
    assert good.status_code == 200 and "Team saved." in good.text
    with runtime.db.session() as session:
        team = session.get(Team, people.team_a)
        assert (team.script, team.timezone, team.language, team.summary_template) == (
            "en_b2b_discovery",
            "Europe/Moscow",
            "ru",
            "discovery",
        )
        assert team.vocabulary == ["Bitrix24", "amoCRM", "Контур"]
    # Emptied, a setting goes back to the default.
    client.post(url, data={"csrf_token": csrf, "script": "", "timezone": "Europe/Moscow", "language": "ru"})
    with runtime.db.session() as session:
        team = session.get(Team, people.team_a)
        assert (team.script, team.timezone, team.summary_template, team.vocabulary) == (
            None,
            "Europe/Moscow",
            None,
            [],
        )


def test_a_script_with_an_error_is_not_stored_and_a_valid_one_becomes_a_new_version(runtime, people, admin) -> None:
    client, csrf = admin
    broken = SCRIPT.replace("sections:", "sections:\n  - title: [unclosed", 1)
    answer = client.post("/app/admin/scripts", data={"csrf_token": csrf, "text": broken})
    assert answer.status_code == 422 and "text: YAML syntax error at line" in answer.text
    unknown = SCRIPT.replace("id: en_b2b_discovery", "id: acme_call\nowner: sales", 1)
    answer = client.post(
        "/app/admin/scripts",
        data={"csrf_token": csrf},
        files={"upload": ("acme.yaml", unknown.encode(), "application/yaml")},
    )
    assert answer.status_code == 422 and "acme.yaml: owner: is not a known key" in answer.text
    assert _scripts(runtime) == []

    first = SCRIPT.replace("id: en_b2b_discovery", "id: acme_call", 1)
    answer = client.post(
        "/app/admin/scripts",
        data={"csrf_token": csrf},
        files={"upload": ("acme.yaml", first.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/app/admin/scripts/acme_call")
    assert _scripts(runtime) == [("acme_call", "1.0")]

    page = client.get("/app/admin/scripts/acme_call")
    assert "id: acme_call" in page.text
    changed = first.replace('version: "1.0"', "version: '9.1'", 1)
    assert changed != first
    same_version = first.replace('title: "B2B:', 'title: "Acme B2B:', 1)
    assert same_version != first
    answer = client.post("/app/admin/scripts", data={"csrf_token": csrf, "text": same_version})
    assert answer.status_code == 422 and "already stored with other content: bump version" in answer.text
    answer = client.post("/app/admin/scripts", data={"csrf_token": csrf, "text": changed})
    assert answer.status_code == 200 and "Script stored as a new version." in answer.text
    assert _scripts(runtime) == [("acme_call", "1.0"), ("acme_call", "9.1")]
    listing = client.get("/app/admin/scripts").text
    assert "<td>9.1</td>" in listing and "<td>1.0</td>" in listing


def test_a_crm_field_map_is_checked_against_the_team_schema_and_secrets_stay_hidden(runtime, people, admin) -> None:
    secret = "amo-access-token-0123456789"
    field_map = FieldMap.model_validate(
        {"crm": "amocrm", "fields": [{"field": "budget", "crm_field": "price", "type": "money"}]}
    )
    with runtime.db.session() as session:
        row, _ = connect(
            session,
            runtime.settings,
            team="Team A",
            kind="amocrm",
            url="https://acme.amocrm.ru",
            field_map=field_map,
            given={
                "client_id": "c",
                "client_secret": "s3cr3t-client",
                "redirect_uri": "https://x.example/o",
                "access_token": secret,
                "refresh_token": "r3fr3sh-token",
            },
        )
        connection_id = row.id
    client, csrf = admin
    assert "acme.amocrm.ru" in client.get("/app/admin/crm").text
    page = client.get(f"/app/admin/crm/{connection_id}")
    assert "crm_field: price" in page.text
    assert all(s not in page.text for s in (secret, "s3cr3t-client", "r3fr3sh-token"))

    wrong_type = "crm: amocrm\nfields:\n  - {field: budget, crm_field: price, type: number}\n"
    answer = client.post(f"/app/admin/crm/{connection_id}", data={"csrf_token": csrf, "text": wrong_type})
    assert answer.status_code == 422 and "&#39;budget&#39; is number here but money" in answer.text
    not_yaml = "crm: amocrm\nfields: [\n"
    answer = client.post(f"/app/admin/crm/{connection_id}", data={"csrf_token": csrf, "text": not_yaml})
    assert answer.status_code == 422 and "field map: YAML syntax error" in answer.text
    with runtime.db.session() as session:
        assert session.get(CRMConnection, connection_id).field_map["fields"][0]["type"] == "money"

    good = (
        "crm: amocrm\ntimezone: Europe/Moscow\nfields:\n  - {field: budget, crm_field: price, type: money}\n"
        "  - {field: next_step, crm_field: 583927, type: string}\n"
    )
    answer = client.post(f"/app/admin/crm/{connection_id}", data={"csrf_token": csrf, "text": good})
    assert answer.status_code == 200 and "Field map saved." in answer.text
    with runtime.db.session() as session:
        row = session.get(CRMConnection, connection_id)
        assert [m["field"] for m in row.field_map["fields"]] == ["budget", "next_step"]
        assert row.field_map["timezone"] == "Europe/Moscow"
        assert secret not in str(row.secrets)  # still sealed, untouched


def test_the_quality_page_shows_acceptance_and_override_rates(runtime, people, admin) -> None:
    calls = [add_call(runtime) for _ in range(4)]
    with runtime.db.session() as session:
        for call_id, decision, final in zip(
            calls, ("approve", "approve", "edit", "reject"), ("100000", "100000", "90000", None), strict=True
        ):
            session.add(
                FieldDecisionLog(
                    call_id=call_id, field="budget", decision=decision, ai_value="100000", final_value=final, actor="t"
                )
            )
        session.add(
            ItemOverride(
                call_id=calls[0],
                item_id="asked_budget",
                script_id="ru_b2b_discovery",
                script_version="1",
                ai_answer={"answer": "no"},
                answer="yes",
                reason="спросил на 1:10",
                actor="rop-a",
            )
        )
    client, _ = admin
    page = client.get("/app/admin/quality").text
    budget_row = page.split("<td>budget</td>")[1].split("</tr>")[0]
    assert [cell.split(">")[1] for cell in budget_row.split("</td>")[:4]] == ["4", "50 %", "25 %", "25 %"]
    item_row = page.split("<td>asked_budget</td>")[1].split("</tr>")[0]
    assert [cell.split(">")[1] for cell in item_row.split("</td>")[:3]] == ["1", "4", "25 %"]
