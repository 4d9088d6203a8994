"""`callintel users ...` as an operator runs them, on the embedded SQLite database: the first admin, a rep linked to
their directory entry, passwords read from standard input, and an API token that works once and is stored hashed."""

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.cli.test_crm_connect_cli import run
from web.app import create_app


def test_users_and_an_api_token_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "team", "set", "SMB", "--template", "discovery").returncode == 0
    assert run(data, "rep", "add", "Анна Смирнова", "--extension", "101", "--team", "SMB").returncode == 0

    short = run(data, "users", "add", "boss", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    no_rep = run(data, "users", "add", "anna", "--role", "rep", "--password-stdin", stdin="long enough pw\n")
    assert no_rep.returncode == 2 and "rep id" in no_rep.stderr
    for args in (
        ("boss", "--role", "admin"),
        ("anna", "--role", "rep", "--rep-id", "1"),
        ("olga", "--role", "rop", "--team", "SMB"),
    ):
        added = run(data, "users", "add", *args, "--password-stdin", stdin="long enough pw\n")
        assert added.returncode == 0, added.stderr
    listing = run(data, "users", "list").stdout
    assert all(login in listing for login in ("boss", "anna", "olga")) and "long enough pw" not in listing
    assert "discovery" in run(data, "team", "list").stdout

    made = run(data, "users", "token", "anna", "--name", "pbx")
    token = made.stdout.strip()
    assert made.returncode == 0 and token.startswith("ci_")
    with sqlite3.connect(data / "callintel.db") as db:
        stored = db.execute("SELECT token_hash FROM api_tokens").fetchall()
    assert len(stored) == 1 and token not in stored[0][0]
    assert token not in run(data, "users", "tokens").stdout

    client = TestClient(create_app(Runtime(Settings(data_dir=data, llm_backend="none"))))
    assert client.get("/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert run(data, "users", "revoke-token", "1").returncode == 0
    assert client.get("/calls", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    missing = run(data, "users", "token", "nobody", "--name", "x")
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr
