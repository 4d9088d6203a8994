"""How fast the team pages answer on a year of a sales floor's calls, in PostgreSQL (started with
`scripts/services.sh start postgres`, stopped again at the end if this run started it).

Generated data (seeded, so every run builds the same floor): 5 teams of 10 reps (50 reps), 10,000 analysed calls
spread evenly at random over the last 12 months. Each rep has a skill level (normal, mean 70 %, sd 10); a call's
score is normal around it (sd 12) and clipped to 0-100, and 4 % of calls are auto-failed (score 0). The rep's
talk share is normal (mean 0.55, sd 0.1). Calls in the first six months are scored with script `ru_b2b_discovery@1`,
the rest with `@2`. Every call has 12 script items: 5 % not applicable, 5 % not determined, the rest 'yes' with a
probability set by the item's difficulty and the rep's skill. Each call gets 0-3 deal-gap signals (kinds and
severities as the analysis produces them). Rows go in with bulk inserts (SQLAlchemy's insertmanyvalues).

Timed through the app (FastAPI's TestClient, a logged-in browser session) as a head of sales (one team, 2,000 calls)
and as an admin (all teams): `/app/team` for the last 30 days and for 12 months, `/app/reps/{id}` for 12 months and
`/app/attention` for the last 30 days; median and 95th percentile over `--requests` requests each, after one warm-up.

Run it when no service-mode test is running (both use PostgreSQL's loopback port from scripts/services.sh):
`.venv/bin/python -m benchmarks.team_view [--requests 25]`.
"""

import argparse
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import insert

from benchmarks.recordings import ROOT
from benchmarks.report import load_average, machine
from pipeline.db import Call, CallResultRow, CallSignalRow, Recording, Rep, ScorecardItemRow, Team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.accounts import UserRole, create_user
from web.app import create_app

SERVICES = ROOT / "scripts" / "services.sh"
TEAMS, REPS_PER_TEAM, CALLS, ITEMS = 5, 10, 10_000, 12
PASSWORD = "bench password"
SIGNALS = (
    ("no_next_step", "high", 0.25, "Следующий шаг не назначен"),
    ("budget_not_discussed", "medium", 0.3, "Бюджет не обсуждали"),
    ("competitor_mentioned", "medium", 0.15, "Клиент упомянул конкурента"),
    ("question_unanswered", "low", 0.2, "Вопрос клиента остался без ответа"),
)


def _postgres_up() -> bool:
    status = subprocess.run([SERVICES, "status"], capture_output=True, text=True).stdout
    return "postgres: up" in status


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh database on the loopback PostgreSQL; dropped afterwards, the server stopped if this started it."""
    started = not _postgres_up()
    if started:
        subprocess.run([SERVICES, "start", "postgres"], check=True)
    try:
        env = subprocess.run([SERVICES, "env"], check=True, capture_output=True, text=True).stdout
        url = next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("CALLINTEL_DATABASE_URL="))
        admin_url = url.replace("postgresql+psycopg://", "postgresql://")
        name = f"team_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{url.rsplit('/', 1)[0]}/{name}"
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if started:
            subprocess.run([SERVICES, "stop", "postgres"], check=False)


def generate(runtime: Runtime, seed: int = 7) -> tuple[int, int]:
    """The floor described above; returns (the first team's id, one of its reps' id)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    year_ago = now - timedelta(days=365)
    switch = now - timedelta(days=182)
    difficulty = [rng.uniform(-0.25, 0.2) for _ in range(ITEMS)]
    with runtime.db.session() as session:
        team_ids = [
            session.execute(
                insert(Team).values(name=f"Team {n + 1}", vocabulary=[], crm={}).returning(Team.id)
            ).scalar_one()
            for n in range(TEAMS)
        ]
        reps = []
        for team_id in team_ids:
            for n in range(REPS_PER_TEAM):
                rep_id = session.execute(
                    insert(Rep).values(name=f"Rep {team_id}-{n + 1}", team_id=team_id).returning(Rep.id)
                ).scalar_one()
                reps.append((rep_id, team_id, min(max(rng.gauss(70, 10), 30), 95)))
        recording_id = session.execute(
            insert(Recording)
            .values(sha256="0" * 64, storage_key="recordings/bench.wav", original_name="bench.wav", size_bytes=0)
            .returning(Recording.id)
        ).scalar_one()
        calls, results, items, signals = [], [], [], []
        for _ in range(CALLS):
            rep_id, team_id, skill = rng.choice(reps)
            call_id = uuid.uuid4().hex
            created = year_ago + timedelta(seconds=rng.uniform(0, 365 * 86400))
            failed = rng.random() < 0.04
            score = 0.0 if failed else min(max(rng.gauss(skill, 12), 0.0), 100.0)
            calls.append(
                {
                    "id": call_id,
                    "recording_id": recording_id,
                    "rep_id": rep_id,
                    "team_id": team_id,
                    "provider": "upload",
                    "status": "done",
                    "info": {},
                    "options": {},
                    "created_at": created,
                    "updated_at": created,
                }
            )
            results.append(
                {
                    "call_id": call_id,
                    "result_key": f"calls/{call_id}/result.json",
                    "language": "ru",
                    "duration_s": rng.uniform(60, 900),
                    "script_id": "ru_b2b_discovery",
                    "script_version": "1" if created < switch else "2",
                    "fields_id": "default",
                    "fields_version": "1",
                    "config_hash": "0" * 16,
                    "score_percent": score,
                    "auto_failed": failed,
                    "rep_talk_ratio": min(max(rng.gauss(0.55, 0.1), 0.05), 0.95),
                    "created_at": created,
                }
            )
            for n in range(ITEMS):
                draw = rng.random()
                answer = (
                    "n/a"
                    if draw < 0.05
                    else "not_determined"
                    if draw < 0.1
                    else "yes"
                    if rng.random() < skill / 100 + difficulty[n]
                    else "no"
                )
                items.append(
                    {
                        "call_id": call_id,
                        "item_id": f"item_{n + 1:02d}",
                        "section_id": f"section_{n // 4 + 1}",
                        "title": f"Пункт скрипта {n + 1}",
                        "answer": answer,
                        "score": {"yes": 1.0, "no": 0.0}.get(answer),
                        "weight": 1.0,
                        "source": "rule",
                        "auto_fail": n == 0,
                    }
                )
            for kind, severity, chance, text in SIGNALS:
                if rng.random() < chance:
                    signals.append({"call_id": call_id, "kind": kind, "severity": severity, "text": text})
        batches = ((Call, calls), (CallResultRow, results), (ScorecardItemRow, items), (CallSignalRow, signals))
        for table, rows in batches:
            for start in range(0, len(rows), 5000):
                session.execute(insert(table), rows[start : start + 5000])
        create_user(session, "rop", "Head of sales", PASSWORD, UserRole.rop, team="Team 1")
        create_user(session, "admin", "Admin", PASSWORD, UserRole.admin)
    with runtime.db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    first_rep = next(rep_id for rep_id, team_id, _ in reps if team_id == team_ids[0])
    return team_ids[0], first_rep


def logged_in(runtime: Runtime, login: str) -> TestClient:
    client = TestClient(create_app(runtime), headers={"Accept": "text/html"})
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the login page has no CSRF field"
    answer = client.post(
        "/login",
        data={"login": login, "password": PASSWORD, "csrf_token": token.group(1), "next": "/app"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def timed(client: TestClient, path: str, requests: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    assert client.get(path).status_code == 200, path
    took = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        took.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, path
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, round(0.95 * (len(took) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=25, help="timed requests per page and viewer (default 25)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, postgres() as url:
        runtime = Runtime(Settings(data_dir=Path(home), database_url=url, llm_backend="none"))
        runtime.db.migrate()
        started = time.perf_counter()
        _, rep_id = generate(runtime)
        print(f"generated {CALLS} calls, {TEAMS * REPS_PER_TEAM} reps in {time.perf_counter() - started:.1f} s")
        year = f"since={(datetime.now(UTC) - timedelta(days=364)).date()}"
        pages = {
            "/app/team (30 days)": "/app/team",
            "/app/team (12 months)": f"/app/team?{year}",
            "/app/reps/{id} (12 months)": f"/app/reps/{rep_id}?{year}",
            "/app/attention (30 days)": "/app/attention",
        }
        print(f"machine: {machine()}; load average before: {load_average()}")
        print(f"{'page':32} {'viewer':14} {'median ms':>10} {'p95 ms':>8}")
        for login, viewer in (("rop", "head of sales"), ("admin", "admin")):
            client = logged_in(runtime, login)
            for name, path in pages.items():
                median, p95 = timed(client, path, args.requests)
                print(f"{name:32} {viewer:14} {median:10.1f} {p95:8.1f}")
        print(f"load average after: {load_average()}")
        runtime.db.engine.dispose()


if __name__ == "__main__":
    main()
