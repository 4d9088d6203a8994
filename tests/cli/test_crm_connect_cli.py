"""`callintel crm connect / list / disconnect` as an operator runs them, on the embedded SQLite database: secrets
sealed at rest and never printed, the field map checked against the team's field schema."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from crm_fill.adapters import AmoCRMConnection, SecretBox, generate_key

ROOT = Path(__file__).resolve().parents[2]
KEY = generate_key()
ACCESS = "amo-access-9f8e7d6c5b4a"
REFRESH = "amo-refresh-1a2b3c4d5e6f"
CLIENT_SECRET = "amo-client-secret-Zq7"
FIELD_MAP = """\
crm: amocrm
timezone: Europe/Moscow
fields:
  - {field: budget, crm_field: price, type: money}
  - {field: expected_close_date, crm_field: 583923, type: date}
  - field: deal_stage_suggestion
    crm_field: 583921
    type: enum
    enum_ids: {qualification: 1204711, proposal: 1204713}
"""


def run(data: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CALLINTEL_")},
        "CALLINTEL_DATA_DIR": str(data),
        "CALLINTEL_CRM_SECRETS_KEY": KEY,
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    home = tmp_path / "data"
    assert run(home, "team", "set", "Москва").returncode == 0
    (tmp_path / "amocrm.yaml").write_text(FIELD_MAP, encoding="utf-8")
    return home


def connect(data: Path, *extra: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    args = ["crm", "connect", "--team", "Москва", "--kind", "amocrm", "--url", "https://sales.amocrm.ru"]
    args += ["--field-map", str(data.parent / "amocrm.yaml"), "--client-id", "c1d2", "--redirect-uri", "https://x/cb"]
    return run(data, *args, *extra, stdin=stdin, **env)


def stored(data: Path) -> list[tuple]:
    with sqlite3.connect(data / "callintel.db") as db:
        return db.execute("SELECT kind, url, secrets, field_map, enabled FROM crm_connections").fetchall()


def test_connect_seals_the_secrets_and_list_never_prints_them(data: Path) -> None:
    secrets = json.dumps({"access_token": ACCESS, "refresh_token": REFRESH})
    done = connect(data, "--secrets-stdin", stdin=secrets, CALLINTEL_CRM_CLIENT_SECRET=CLIENT_SECRET)
    assert done.returncode == 0, done.stderr
    assert "amocrm connected for team Москва: 3 fields mapped" in done.stderr

    [(kind, url, sealed, field_map, enabled)] = stored(data)
    assert (kind, url, enabled) == ("amocrm", "https://sales.amocrm.ru", 1)
    assert not any(secret in sealed for secret in (ACCESS, REFRESH, CLIENT_SECRET))
    opened = SecretBox(SecretStr(KEY)).open_connection(AmoCRMConnection, json.loads(sealed))
    assert opened.access_token.get_secret_value() == ACCESS
    assert opened.refresh_token.get_secret_value() == REFRESH
    assert opened.client_secret.get_secret_value() == CLIENT_SECRET
    assert (opened.base_url, opened.client_id, opened.redirect_uri) == (
        "https://sales.amocrm.ru",
        "c1d2",
        "https://x/cb",
    )
    assert [m["field"] for m in json.loads(field_map)["fields"]] == [
        "budget",
        "expected_close_date",
        "deal_stage_suggestion",
    ]

    listed = run(data, "crm", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Москва" in listed.stdout and "https://sales.amocrm.ru" in listed.stdout
    assert "budget, expected_close_date, deal_stage_suggestion" in listed.stdout
    for output in (listed.stdout, listed.stderr, done.stdout, done.stderr):
        assert not any(secret in output for secret in (ACCESS, REFRESH, CLIENT_SECRET))

    again = connect(data, "--access-token", "new-access", "--refresh-token", "new-refresh", "--client-secret", "s")
    assert again.returncode == 0, again.stderr
    assert "amocrm reconnected" in again.stderr
    [(_, _, sealed, _, _)] = stored(data)
    assert SecretBox(SecretStr(KEY)).open_connection(AmoCRMConnection, json.loads(sealed)).refresh_token == SecretStr(
        "new-refresh"
    )

    gone = run(data, "crm", "disconnect", "--team", "Москва", "--kind", "amocrm")
    assert gone.returncode == 0, gone.stderr
    [(_, _, sealed, _, enabled)] = stored(data)
    assert (json.loads(sealed), enabled) == ({}, 0)
    twice = run(data, "crm", "disconnect", "--team", "Москва", "--kind", "amocrm")
    assert twice.returncode == 2
    assert "team Москва has no amocrm connection" in twice.stderr


def test_a_field_map_that_does_not_fit_the_teams_schema_is_refused_and_nothing_is_stored(data: Path) -> None:
    (data.parent / "amocrm.yaml").write_text(
        FIELD_MAP.replace("{qualification: 1204711, proposal: 1204713}", "{qualification: 1, signed: 2}"),
        encoding="utf-8",
    )
    done = connect(data, "--secrets-stdin", stdin=f"access_token={ACCESS}\nrefresh_token={REFRESH}\nclient_secret=s")
    assert done.returncode == 2
    assert "team Москва: field map: 'deal_stage_suggestion' maps values the schema does not allow: ['signed']" in (
        done.stderr.replace("\n", "")
    )
    assert stored(data) == []

    (data.parent / "amocrm.yaml").write_text(FIELD_MAP + "  - {field: shoe_size, crm_field: 1, type: number}\n")
    done = connect(data, "--secrets-stdin", stdin=f"access_token={ACCESS}\nrefresh_token={REFRESH}\nclient_secret=s")
    assert done.returncode == 2
    assert "'shoe_size' is not in field schema 'default'" in done.stderr.replace("\n", "")
    assert stored(data) == []


def test_missing_secrets_and_a_missing_key_are_named(data: Path) -> None:
    done = connect(data, "--access-token", ACCESS)
    assert done.returncode == 2
    message = done.stderr.replace("\n", "")
    assert "--client-secret: missing" in message and "--refresh-token: missing" in message
    assert ACCESS not in done.stderr

    done = connect(
        data,
        "--secrets-stdin",
        stdin=f"access_token={ACCESS}\nrefresh_token=r\nclient_secret=s",
        **{"CALLINTEL_CRM_SECRETS_KEY": ""},
    )
    assert done.returncode == 2
    assert "CALLINTEL_CRM_SECRETS_KEY is not set" in done.stderr.replace("\n", "")
    assert stored(data) == []
