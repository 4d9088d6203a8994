"""How fast the deal pages answer and a risk pass runs on a large CRM's worth of deals, in PostgreSQL (started with
`scripts/services.sh start postgres` when it is not up, stopped again at the end if this run started it).

Generated data (seeded): 5 teams of 10 reps, each rep mapped to a CRM user of one amoCRM pipeline (three open
stages at 10, 30 and 60 % probability, won, lost); `--deals` deals (default 50,000) owned by random reps, 70 % open,
created over the last year, with a close date 20-120 days after, a stage change logged for deals past the first
stage and 0-3 close-date moves; `--calls` calls (default 200,000), each linked to a random deal (method deal_id) and
placed between the deal's creation and now. 95 % of calls are analysed: a result row (language, score), deal-gap
signals (no next step 30 %, budget not discussed 35 %, competitor 10 %, question unanswered 20 %) and proposed CRM
values with a quote (budget 45 %, decision maker 40 % (half of them "the person on the call"), next step and its
date 50 %, competitors 10 %; 10 % rejected, 40 % approved, the rest awaiting the rep). Rows go in with COPY. The
calls of the deals whose pages are timed also get their stored analysis, which the deal page reads for summaries.

Measured: a full risk pass over every deal (the first finds and stores every risk and writes a `deal.at_risk` event
per deal at risk; the second, on unchanged data, is the steady state), then, through the app (FastAPI's TestClient,
a logged-in browser session), `/app/deals/at-risk` and `/app/deals/{id}` (the viewer's deal with the most calls)
as a head of sales (one team) and as a rep: median and 95th percentile of `--requests` requests each after one
warm-up. Target: median under 300 ms.

`.venv/bin/python -m benchmarks.deals_bench [--deals 50000 --calls 200000] [--requests 30]`; `--quick` for a
sanity check on 2,000 deals and 8,000 calls. Not while service-mode tests run: same PostgreSQL port.
"""

import argparse
import json
import random
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert
from sqlalchemy.orm import Session

from benchmarks.report import load_average, machine
from benchmarks.team_view import PASSWORD, logged_in, postgres, timed
from models import Analysis, ConversationMetrics, RoleMetrics, Scorecard, Summary
from pipeline.db import CRMPipeline, CRMStage, CRMUser, Recording, Rep, Team
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.stages import output_key
from services.accounts import UserRole, create_user
from services.deals.passes import risk_pass

TEAMS, REPS_PER_TEAM = 5, 10
# CRM stage id -> name, outcome, default probability, share of deals.
STAGES = {
    "10": ("Первичный контакт", "open", 0.1, 0.30),
    "20": ("Переговоры", "open", 0.3, 0.25),
    "30": ("Коммерческое предложение", "open", 0.6, 0.15),
    "142": ("Успешно реализовано", "won", 1.0, 0.15),
    "143": ("Закрыто и не реализовано", "lost", 0.0, 0.15),
}
SIGNALS = (
    ("no_next_step", "high", 0.30, "Следующий шаг не назначен"),
    ("budget_not_discussed", "medium", 0.35, "Бюджет не обсуждали"),
    ("competitor_mentioned", "medium", 0.10, "Клиент упомянул конкурента"),
    ("question_unanswered", "low", 0.20, "Вопрос клиента остался без ответа"),
)


@dataclass
class Floor:
    team_id: int
    rep_id: int
    rop_deal: int
    rep_deal: int
    deals: int
    calls: int
    rows: Counter[str]
    calls_on: dict[int, int]


def _copy(conn: psycopg.Connection[Any], table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def teams_and_reps(session: Session, **team: str) -> list[tuple[int, int, int]]:
    """`TEAMS` teams of `REPS_PER_TEAM` reps, each rep mapped by hand to an amoCRM user; returns (rep, team, CRM
    user) ids."""
    reps: list[tuple[int, int, int]] = []
    for t in range(TEAMS):
        team_id = session.execute(
            insert(Team).values(name=f"Team {t + 1}", vocabulary=[], crm={}, **team).returning(Team.id)
        ).scalar_one()
        for n in range(REPS_PER_TEAM):
            rep_id = session.execute(
                insert(Rep).values(name=f"Rep {t + 1}-{n + 1}", team_id=team_id).returning(Rep.id)
            ).scalar_one()
            user = CRMUser(crm="amocrm", external_id=str(500 + len(reps)), name=f"Менеджер {t + 1}-{n + 1}")
            user.rep_id, user.mapped_by = rep_id, "hand"
            session.add(user)
            session.flush()
            reps.append((rep_id, team_id, user.id))
    return reps


def _directory(runtime: Runtime) -> tuple[list[tuple[int, int, int]], int, dict[str, int], int]:
    """Teams, reps, their CRM users, the pipeline and a recording; returns (rep, team, CRM user) triples, the
    pipeline's id, stage ids by CRM id and the recording's id."""
    with runtime.db.session() as session:
        reps = teams_and_reps(session)
        pipeline = CRMPipeline(crm="amocrm", external_id="1", name="Продажи")
        session.add(pipeline)
        session.flush()
        pipeline_id = pipeline.id
        stages = {}
        for position, (external_id, (name, outcome, probability, _)) in enumerate(STAGES.items()):
            stage = CRMStage(
                pipeline_id=pipeline_id,
                external_id=external_id,
                name=name,
                position=position,
                outcome=outcome,
                probability=probability,
            )
            session.add(stage)
            session.flush()
            stages[external_id] = stage.id
        recording_id = session.execute(
            insert(Recording)
            .values(sha256="0" * 64, storage_key="recordings/bench.wav", original_name="bench.wav", size_bytes=0)
            .returning(Recording.id)
        ).scalar_one()
    return reps, pipeline_id, stages, recording_id


def _proposals(rng: random.Random, call_id: str, at: datetime) -> list[tuple[Any, ...]]:
    def status() -> str:
        draw = rng.random()
        return "rejected" if draw < 0.1 else "approved" if draw < 0.5 else "proposed"

    values: list[tuple[str, Any, str]] = []
    if rng.random() < 0.45:
        amount = rng.randrange(50, 5000) * 1000
        values.append(("budget", str(amount), f"бюджет примерно {amount} рублей"))
    if rng.random() < 0.4:
        present = rng.random() < 0.5
        who = "the person on the call" if present else "генеральный директор"
        values.append(("decision_maker", who, "решение принимаю я" if present else "решает генеральный директор"))
    if rng.random() < 0.5:
        due = (at + timedelta(days=rng.randint(1, 21))).date()
        values.append(("next_step", "демо для команды", "давайте покажем демо команде"))
        values.append(("next_step_date", due.isoformat(), f"созвонимся {due:%d.%m}"))
    if rng.random() < 0.1:
        values.append(("competitors_mentioned", ["Битрикс24"], "смотрим ещё Битрикс24"))
    rows = []
    for field, value, quote in values:
        evidence = json.dumps([{"quote": quote, "start": round(rng.uniform(5, 600), 1)}], ensure_ascii=False)
        encoded = json.dumps(value, ensure_ascii=False)
        rows.append((call_id, field, encoded, encoded, round(rng.uniform(0.5, 0.95), 2), "rule", status(), evidence))
    return rows


def generate(runtime: Runtime, url: str, deals: int, calls: int, seed: int = 11) -> Floor:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    reps, pipeline_id, stages, recording_id = _directory(runtime)
    stage_ids, weights = list(STAGES), [share for *_, share in STAGES.values()]
    deal_rows, change_rows, created = [], [], []
    owners: list[tuple[int, int]] = []
    for n in range(deals):
        deal_id = n + 1
        rep_id, team_id, user_id = rng.choice(reps)
        stage = rng.choices(stage_ids, weights)[0]
        at = now - timedelta(days=rng.uniform(3, 365))
        close = (at + timedelta(days=rng.uniform(20, 120))).date()
        deal_rows.append(
            (deal_id, "amocrm", f"D-{deal_id}", f"Сделка {deal_id}", pipeline_id, stages[stage],
             rng.randrange(10, 5000) * 1000, "RUB", user_id, rep_id, team_id, close, at, at, False, now)
        )  # fmt: skip
        if stage != "10":
            change_rows.append((deal_id, "stage", json.dumps(stages["10"]), json.dumps(stages[stage]), at))
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
            moved = close + timedelta(days=rng.randint(7, 45))
            change_rows.append((deal_id, "close_date", json.dumps(str(close)), json.dumps(str(moved)), at))
            close = moved
        created.append(at)
        owners.append((rep_id, team_id))
    call_rows, result_rows, link_rows, signal_rows, proposal_rows = [], [], [], [], []
    per_deal: Counter[int] = Counter()
    for _ in range(calls):
        deal_id = rng.randrange(deals) + 1
        rep_id, team_id = owners[deal_id - 1]
        at = created[deal_id - 1] + (now - created[deal_id - 1]) * rng.random()
        call_id = uuid.uuid4().hex
        info = json.dumps({"started_at": at.isoformat(), "direction": "outbound", "crm_deal_id": f"D-{deal_id}"})
        call_rows.append((call_id, recording_id, rep_id, team_id, "upload", "done", info, "{}", at, at))
        link_rows.append((call_id, deal_id, "deal_id", at))
        per_deal[deal_id] += 1
        if rng.random() < 0.05:
            continue
        result_rows.append(
            (call_id, f"calls/{call_id}/result.json", "ru", rng.uniform(60, 900), "ru_b2b_discovery", "1", "default",
             "1", "0" * 16, rng.uniform(30, 95), False, rng.uniform(0.3, 0.8), at)
        )  # fmt: skip
        for kind, severity, chance, text in SIGNALS:
            if rng.random() < chance:
                signal_rows.append((call_id, kind, severity, text))
        proposal_rows.extend(_proposals(rng, call_id, at))
    tables = (
        ("deals", ("id", "crm", "external_id", "name", "pipeline_id", "stage_id", "amount", "currency", "owner_id",
                   "rep_id", "team_id", "close_date", "crm_created_at", "crm_modified_at", "deleted", "synced_at"),
         deal_rows),
        ("deal_changes", ("deal_id", "field", "old", "new", "at"), change_rows),
        ("calls", ("id", "recording_id", "rep_id", "team_id", "provider", "status", "info", "options", "created_at",
                   "updated_at"), call_rows),
        ("deal_calls", ("call_id", "deal_id", "method", "linked_at"), link_rows),
        ("call_results", ("call_id", "result_key", "language", "duration_s", "script_id", "script_version",
                          "fields_id", "fields_version", "config_hash", "score_percent", "auto_failed",
                          "rep_talk_ratio", "created_at"), result_rows),
        ("call_signals", ("call_id", "kind", "severity", "text"), signal_rows),
        ("proposals", ("call_id", "field", "value", "ai_value", "confidence", "source", "status", "evidence"),
         proposal_rows),
    )  # fmt: skip
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for table, columns, rows in tables:
            _copy(conn, table, columns, rows)
        conn.execute("SELECT setval('deals_id_seq', (SELECT max(id) FROM deals))")
    with runtime.db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    team_id, rep_id = reps[0][1], reps[0][0]
    rep_deal = max((d for d in per_deal if owners[d - 1][0] == rep_id), key=lambda d: per_deal[d])
    rop_deal = max((d for d in per_deal if owners[d - 1] != (rep_id, team_id) and owners[d - 1][1] == team_id),
                   key=lambda d: per_deal[d])  # fmt: skip
    _store_analyses(runtime, [row for row in link_rows if row[1] in (rep_deal, rop_deal)])
    with runtime.db.session() as session:
        create_user(session, "rop", "Head of sales", PASSWORD, UserRole.rop, team="Team 1")
        create_user(session, "rep", "Rep", PASSWORD, UserRole.rep, rep_id=rep_id)
    counts = Counter({table: len(rows) for table, _, rows in tables})
    calls_on = {deal: per_deal[deal] for deal in (rop_deal, rep_deal)}
    return Floor(team_id, rep_id, rop_deal, rep_deal, deals, calls, counts, calls_on)


def _store_analyses(runtime: Runtime, links: list[tuple[Any, ...]]) -> None:
    """The stored analysis of each timed deal's call, as the analyse stage leaves it, for the summaries."""
    role = RoleMetrics(
        talk_time_s=120, talk_ratio=0.5, longest_monologue_s=40, interruptions=1, questions=4, words=300,
        speech_rate_wpm=130,
    )  # fmt: skip
    scorecard = Scorecard(
        script_id="ru_b2b_discovery", script_version="1", items=[], sections=[], score=3.0, max_score=4.0,
        percent=75.0, decided_share=1.0,
    )  # fmt: skip
    analysis = Analysis(
        metrics=ConversationMetrics(duration_s=240, silence_share=0.1, overlap_s=1.0, rep=role, customer=role),
        summary=Summary(language="ru", text="Клиент назвал бюджет и попросил демо.", source="extractive"),
        scorecard=scorecard,
        proposals=[],
        dropped_claims=0,
    ).model_dump_json()
    for call_id, *_ in links:
        runtime.storage.put_bytes(output_key(call_id, "analysis"), analysis.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=50_000, help="deals to generate (default 50,000)")
    parser.add_argument("--calls", type=int, default=200_000, help="calls to generate (default 200,000)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page and viewer (default 30)")
    parser.add_argument("--quick", action="store_true", help="2,000 deals, 8,000 calls, 10 requests: a sanity check")
    args = parser.parse_args()
    if args.quick:
        args.deals, args.calls, args.requests = 2_000, 8_000, 10
    with tempfile.TemporaryDirectory() as home, postgres() as url:
        runtime = Runtime(Settings(data_dir=Path(home), database_url=url, llm_backend="none"))
        runtime.db.migrate()
        started = time.perf_counter()
        floor = generate(runtime, url, args.deals, args.calls)
        counts = ", ".join(f"{table} {n:,}" for table, n in floor.rows.items())
        print(f"generated in {time.perf_counter() - started:.1f} s: {counts}")
        print(f"machine: {machine()}; load average before: {load_average()}")
        for name in ("first", "second"):
            started = time.perf_counter()
            passed = risk_pass(runtime, notify=False)
            print(
                f"risk pass ({name}): {time.perf_counter() - started:.1f} s; {passed.deals:,} deals checked, "
                f"{passed.at_risk:,} at risk, {passed.new_risks:,} new risks, {passed.events:,} events"
            )
        print(f"{'page':28} {'viewer':14} {'median ms':>10} {'p95 ms':>8}")
        for login, viewer, deal in (("rop", "head of sales", floor.rop_deal), ("rep", "rep", floor.rep_deal)):
            client = logged_in(runtime, login)
            deal_page = f"/app/deals/{{id}} ({floor.calls_on[deal]} calls)"
            for name, path in (("/app/deals/at-risk", "/app/deals/at-risk"), (deal_page, f"/app/deals/{deal}")):
                median, p95 = timed(client, path, args.requests)
                print(f"{name:28} {viewer:14} {median:10.1f} {p95:8.1f}")
        print(f"load average after: {load_average()}")
        runtime.db.engine.dispose()


if __name__ == "__main__":
    main()
