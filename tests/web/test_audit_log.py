"""The access audit log as the app writes it: each audited action (sign-ins and their failures, opening a call,
playing and downloading its audio, the CSV export, changes to scripts, users, teams and CRM connections, deleting and
purging a call) leaves its entry; the admin page filters and pages it; the exports are spreadsheet-safe and
complete; and the chain stays intact."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters import FieldMap, generate_key
from pipeline.db import AuditEntry, User
from pipeline.retention import purge_expired
from pipeline.runtime import Runtime
from scoring_scripts.loader import SCRIPTS_DIR
from services.audit import AuditAction, verify
from services.audit_views import AuditFilter, audit_page
from services.crm_connections import connect
from tests.support.stored_calls import add_call, store_recording
from tests.support.web_users import PASSWORD, add_people, browser, csrf_of, embedded_runtime, log_in


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return embedded_runtime(
        tmp_path, broker_url="stub://", crm_secrets_key=SecretStr(generate_key()), retention_days=30
    )


def _entries(runtime: Runtime) -> list[AuditEntry]:
    with runtime.db.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_every_audited_action_leaves_its_entry_and_the_chain_holds(runtime: Runtime) -> None:
    people = add_people(runtime)
    call_id = add_call(runtime, rep_id=people.rep_a, team_id=people.team_a)
    client = browser(runtime)
    token = csrf_of(client.get("/login").text)
    # A failed sign-in whose login would be a spreadsheet formula.
    client.post("/login", data={"login": "=cmd|' /C calc'!A0", "password": "nope nope nope", "csrf_token": token})
    csrf = log_in(client, "admin")
    with runtime.db.session() as session:
        admin_id = session.scalar(select(User.id).where(User.login == "admin"))

    assert client.get(f"/app/calls/{call_id}").status_code == 200
    assert client.get(f"/app/calls/{call_id}/audio").status_code == 200
    assert client.get(f"/app/calls/{call_id}/audio", headers={"Range": "bytes=0-"}).status_code == 206
    assert client.get(f"/app/calls/{call_id}/audio", headers={"Range": "bytes=100-"}).status_code == 206  # a seek
    assert client.get(f"/calls/{call_id}", headers={"Accept": "application/json"}).status_code == 200
    assert client.get("/app/team/export.csv").status_code == 200
    script = (SCRIPTS_DIR / "en_b2b_discovery.yaml").read_text(encoding="utf-8")
    script = script.replace("id: en_b2b_discovery", "id: audited_call", 1)
    assert client.post("/app/admin/scripts", data={"csrf_token": csrf, "text": script}).status_code == 200
    assert client.post("/app/admin/teams", data={"csrf_token": csrf, "name": "Team C"}).status_code == 200
    answer = client.post(
        "/app/admin/users",
        data={"csrf_token": csrf, "login": "newbie", "password": PASSWORD, "role": "admin", "locale": "en"},
    )
    assert answer.status_code == 200
    with runtime.db.session() as session:
        newbie = session.scalar(select(User.id).where(User.login == "newbie"))
        field_map = FieldMap.model_validate(
            {"crm": "amocrm", "fields": [{"field": "budget", "crm_field": "price", "type": "money"}]}
        )
        row, _ = connect(
            session,
            runtime.settings,
            team="Team A",
            kind="amocrm",
            url="https://acme.amocrm.ru",
            field_map=field_map,
            given={
                "client_id": "c",
                "client_secret": "s",
                "redirect_uri": "https://x.example/o",
                "access_token": "a",
                "refresh_token": "r",
            },
        )
        connection_id = row.id
    text = "crm: amocrm\nfields:\n  - {field: budget, crm_field: price, type: money}\n"
    assert client.post(f"/app/admin/crm/{connection_id}", data={"csrf_token": csrf, "text": text}).status_code == 200
    assert client.post(f"/app/admin/users/{newbie}/deactivate", data={"csrf_token": csrf}).status_code == 200
    answer = client.delete(f"/calls/{call_id}", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    old = add_call(
        runtime,
        recording_id=store_recording(runtime, created_at=datetime.now(UTC) - timedelta(days=90)),
        created_at=datetime.now(UTC) - timedelta(days=90),
    )
    assert purge_expired(runtime).recordings == 1

    entries = _entries(runtime)
    seen = {(entry.action, entry.target) for entry in entries}
    expected = {
        (AuditAction.sign_in_password_failed, "=cmd|' /c calc'!a0"),
        (AuditAction.sign_in_password, "admin"),
        (AuditAction.call_opened, f"call:{call_id}"),
        (AuditAction.call_audio_downloaded, f"call:{call_id}"),
        (AuditAction.call_audio_played, f"call:{call_id}"),
        (AuditAction.export_csv, "scorecards"),
        (AuditAction.script_changed, "script:audited_call"),
        (AuditAction.user_changed, f"user:{newbie}"),
        (AuditAction.crm_changed, f"crm:{connection_id}"),
        (AuditAction.call_deleted, f"call:{call_id}"),
        (AuditAction.call_purged, f"call:{old}"),
    }
    assert expected <= seen, expected - seen
    assert any(entry.action == AuditAction.team_changed and entry.detail == {"added": "Team C"} for entry in entries)
    # The seek was not logged as another play; the API's read is marked as such.
    assert sum(1 for entry in entries if entry.action == AuditAction.call_audio_played) == 1
    assert sum(1 for entry in entries if entry.action == AuditAction.call_opened) == 2
    assert {entry.actor for entry in entries if entry.actor_id == admin_id} == {"admin"}
    assert all(entry.ip == "testclient" for entry in entries if entry.actor_id == admin_id)
    with runtime.db.session() as session:
        assert verify(session).intact

    # The admin page: filtered by action group, by call, by user and dates, a page at a time.
    page = client.get("/app/admin/audit", params={"action": "call", "call": call_id})
    assert page.status_code == 200 and "<code>call.audio_played</code>" in page.text
    assert "<code>script.changed</code>" not in page.text
    page = client.get("/app/admin/audit", params={"user": str(admin_id), "since": "2000-01-01", "until": "2000-01-02"})
    assert "<code>call.opened</code>" not in page.text
    assert client.get("/app/admin/audit", params={"since": "yesterday"}).status_code == 422
    with runtime.db.session() as session:
        first = audit_page(session, AuditFilter(actor_id=admin_id), page=1, per_page=3)
        last = audit_page(session, AuditFilter(actor_id=admin_id), page=99, per_page=3)
    assert first.total > 6 and first.pages == -(-first.total // 3) and last.page == first.pages
    assert [entry.id for entry in first.entries] == sorted((entry.id for entry in first.entries), reverse=True)

    exported = client.get("/app/admin/audit/export.csv")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    assert "'=cmd|" in exported.text and ",=cmd" not in exported.text
    lines = client.get("/app/admin/audit/export.jsonl").text.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len(entries) + 1  # the CSV export itself was logged before this one
    assert [r["entry_hash"] for r in records[:-1]] == [r["prev_hash"] for r in records[1:]]
    assert _entries(runtime)[-1].action == AuditAction.export_audit


def test_the_audit_page_is_for_admins_only(runtime: Runtime) -> None:
    add_people(runtime)
    client = browser(runtime)
    log_in(client, "rop-a")
    assert client.get("/app/admin/audit").status_code == 403
    assert client.get("/app/admin/audit/export.jsonl").status_code == 403
