"""How fast the forecast, the waterfall and the forecast trend answer, and how long the nightly snapshot pass takes,
on two years of daily pipeline snapshots stored as changes, in PostgreSQL (started with `scripts/services.sh start
postgres` when it is not up, stopped again at the end if this run started it).

Generated data (seeded): 5 teams of 10 reps, one pipeline (open stages at 10, 30, 60 and 90 % probability, won,
lost); `--deals` deals (default 50,000) created evenly over two years, 5 % in USD, the rest in RUB. Each deal lives
as a CRM would move it: every 3-15 days something happens (the stage moves on 45 %, the close date is pushed 25 %,
the amount changes 20 %, the deal is handed to another rep 10 %) until it is won or lost (about 30 % won), most
within 150 days; deals created lately are still open. Each day's snapshot keeps a row only for the deals whose state
changed that day, as the snapshot pass stores it; a snapshot run is recorded per team and day. Each deal's stage
and amount changes are in its change log too (dated noon UTC of their day, the deal created at the first), as a
sync logs them, which is what the KPIs read. A risk pass's findings: 20 % of the open deals carry one to three
risks (the kinds drawn evenly), so the review page has deals to rank. Rows go in with COPY.

Measured (median and 95th percentile of `--requests` runs each, after one warm-up), for one team and for the whole
company: the forecast as of a day (per-category sums), the waterfall between two days a week apart (close period:
the quarter), the forecast trend over 90 days and over a year; through the app (FastAPI's TestClient, a logged-in
browser session) the waterfall, trend, KPI (the quarter, with its five earlier quarters' sparklines; and with every
open deal listed), forecast and review pages as a head of sales (one team) and as an admin (the first team for the
KPIs, every team for the others).
Then the nightly snapshot pass over every deal after a day's churn (2 % of deals changed), and a second pass the
same day (nothing to do). Storage: the snapshot table's rows and size beside what a row per deal per day would
take. Target: median under 300 ms.

`.venv/bin/python -m benchmarks.forecast_bench [--deals 50000] [--requests 20]`; `--quick` for 2,000 deals.
Not while service-mode tests run: same PostgreSQL port.
"""

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

from benchmarks.deals_bench import teams_and_reps
from benchmarks.report import load_average, machine
from benchmarks.team_view import PASSWORD, logged_in, postgres, timed
from models.deals import RiskKind
from pipeline.db import CRMPipeline, CRMStage
from pipeline.db.snapshots import OPEN_END
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from services.accounts import UserRole, create_user
from services.deals.store import money_text
from services.pipeline_review.forecast_as_of import forecast_as_of
from services.pipeline_review.snapshot_pass import snapshot_pass
from services.pipeline_review.trend import forecast_trend
from services.pipeline_review.waterfall import Scope, waterfall

DAYS = 730
TODAY = date(2026, 12, 6)
FIRST_DAY = TODAY - timedelta(days=DAYS - 1)
# CRM stage id -> name, outcome, probability, forecast category.
STAGES = {
    "10": ("Первичный контакт", "open", 0.1, "pipeline"),
    "20": ("Переговоры", "open", 0.3, "pipeline"),
    "30": ("Коммерческое предложение", "open", 0.6, "best_case"),
    "40": ("Согласование договора", "open", 0.9, "commit"),
    "142": ("Успешно реализовано", "won", 1.0, None),
    "143": ("Закрыто и не реализовано", "lost", 0.0, None),
}
OPEN_STAGES = ("10", "20", "30", "40")
SNAPSHOT_COLUMNS = (
    "deal_id", "day", "until", "team_id", "rep_id", "owner_id", "pipeline_id", "stage_id", "outcome", "category",
    "amount", "currency", "close_date", "gone",
)  # fmt: skip


def _directory(runtime: Runtime) -> tuple[list[tuple[int, int, int]], int, dict[str, int]]:
    """Teams, reps mapped to CRM users, the pipeline; returns (rep, team, CRM user) triples, the pipeline's id and
    stage ids by CRM id."""
    with runtime.db.session() as session:
        reps = teams_and_reps(session, timezone="Europe/Moscow")
        pipeline = CRMPipeline(crm="amocrm", external_id="1", name="Продажи")
        session.add(pipeline)
        session.flush()
        stages = {}
        for position, (external_id, (name, outcome, probability, _)) in enumerate(STAGES.items()):
            stage = CRMStage(
                pipeline_id=pipeline.id,
                external_id=external_id,
                name=name,
                position=position,
                outcome=outcome,
                probability=probability,
            )
            session.add(stage)
            session.flush()
            stages[external_id] = stage.id
        create_user(session, "rop", "Head of sales", PASSWORD, UserRole.rop, team="Team 1")
        create_user(session, "admin", "Admin", PASSWORD, UserRole.admin)
        return reps, pipeline.id, stages


def _changes(deal_id: int, states: list[tuple[date, tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """The deal's change log rows (stage and amount) for its states, as a sync would have logged them."""
    rows: list[tuple[Any, ...]] = []
    before: dict[str, Any] = {"stage": None, "amount": None}
    for day, state in states:
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12)
        for name, value in (("stage", state[4]), ("amount", money_text(state[7], state[8]))):
            if value != before[name]:
                old = None if before[name] is None else json.dumps(before[name])
                rows.append((deal_id, name, old, json.dumps(value), at))
                before[name] = value
    return rows


def _life(
    rng: random.Random, deal_id: int, reps: list[tuple[int, int, int]], pipeline_id: int, stages: dict[str, int]
) -> tuple[list[tuple[Any, ...]], tuple[Any, ...], list[tuple[Any, ...]]]:
    """One deal's snapshot rows from its creation to TODAY, its current state (its row in `deals`) and its change
    log."""
    created = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
    rep = rng.choice(reps)
    stage = "10"
    currency = "USD" if rng.random() < 0.05 else "RUB"
    amount = (
        Decimal(round(rng.lognormvariate(12.2, 0.8), -3)) if currency == "RUB" else Decimal(rng.randrange(5, 80) * 100)
    )
    close = created + timedelta(days=rng.randrange(20, 120))
    lifetime = rng.randrange(30, 180)
    states: list[tuple[date, tuple[Any, ...]]] = []

    def record(on: date) -> None:
        outcome, category = STAGES[stage][1], STAGES[stage][3]
        state = (rep[1], rep[0], rep[2], pipeline_id, stages[stage], outcome, category, amount, currency, close, False)
        if states and states[-1][0] == on:
            states[-1] = (on, state)
        elif not states or states[-1][1] != state:
            states.append((on, state))

    record(created)
    on = created
    while STAGES[stage][1] == "open":
        on += timedelta(days=rng.randrange(3, 16))
        if on > TODAY:
            break
        draw = rng.random()
        if (on - created).days > lifetime:
            stage = "142" if rng.random() < 0.3 else "143"
        elif draw < 0.45:
            position = OPEN_STAGES.index(stage)
            stage = OPEN_STAGES[position + 1] if position + 1 < len(OPEN_STAGES) else "142"
        elif draw < 0.70:
            close += timedelta(days=rng.randrange(7, 45))
        elif draw < 0.90:
            amount = max(Decimal(1000), (amount * Decimal(rng.uniform(0.6, 1.4))).quantize(Decimal(1)))
        else:
            rep = rng.choice([r for r in reps if r[1] == rep[1]])
        record(on)
    rows = []
    for index, (day, state) in enumerate(states):
        until = states[index + 1][0] if index + 1 < len(states) else OPEN_END
        rows.append((deal_id, day, until, *state))
    team_id, rep_id, owner_id, _, stage_id, _, _, amount_now, currency_now, close_now, _ = states[-1][1]
    born = datetime.combine(created, datetime.min.time(), UTC) + timedelta(hours=12)
    deal = (
        deal_id, "amocrm", str(100000 + deal_id), f"Сделка {deal_id}", pipeline_id, stage_id, amount_now,
        currency_now, owner_id, rep_id, team_id, close_now, False, datetime.now(UTC), born,
    )  # fmt: skip
    return rows, deal, _changes(deal_id, states)


def _risks(rng: random.Random, deal_id: int) -> list[tuple[Any, ...]]:
    """What a risk pass found on an open deal: one to three risks, or (four times in five) none."""
    if rng.random() >= 0.2:
        return []
    kinds = rng.sample(list(RiskKind), rng.randrange(1, 4))
    found = datetime.combine(TODAY, datetime.min.time(), UTC)
    rows = []
    for kind in kinds:
        # A stage ahead of the calls names what the calls never covered; the other risks quote a fact.
        text = "budget" if kind is RiskKind.stage_ahead else f"{kind.value} on this deal"
        rows.append((deal_id, kind.value, f"{kind.value} on this deal", json.dumps([{"text": text}]), found))
    return rows


def generate(runtime: Runtime, url: str, deals: int) -> tuple[int, int, int]:
    """Returns the snapshot rows, the deal-days a row per deal per day would take, and team 1's id; prints the
    change log's and the risks' rows."""
    rng = random.Random(18)
    reps, pipeline_id, stages = _directory(runtime)
    snapshot_rows: list[tuple[Any, ...]] = []
    deal_rows: list[tuple[Any, ...]] = []
    change_rows: list[tuple[Any, ...]] = []
    risk_rows: list[tuple[Any, ...]] = []
    risk_rng = random.Random(19)
    deal_days = 0
    for deal_id in range(1, deals + 1):
        rows, deal, changes = _life(rng, deal_id, reps, pipeline_id, stages)
        snapshot_rows.extend(rows)
        deal_rows.append(deal)
        change_rows.extend(changes)
        if rows[-1][8] == "open":
            risk_rows.extend(_risks(risk_rng, deal_id))
        # A full daily copy keeps an open deal every day and a closed one until its close.
        deal_days += (min(rows[-1][2], TODAY + timedelta(days=1)) - rows[0][1]).days
    teams = sorted({rep[1] for rep in reps})
    taken = datetime.now(UTC)
    run_rows = [(team_id, FIRST_DAY + timedelta(days=d), 0, 0, taken) for team_id in teams for d in range(DAYS)]
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for table, columns, rows in (
            ("deals", ("id", "crm", "external_id", "name", "pipeline_id", "stage_id", "amount", "currency",
                       "owner_id", "rep_id", "team_id", "close_date", "deleted", "synced_at", "crm_created_at"),
             deal_rows),
            ("deal_snapshots", SNAPSHOT_COLUMNS, snapshot_rows),
            ("deal_changes", ("deal_id", "field", "old", "new", "at"), change_rows),
            ("deal_risks", ("deal_id", "kind", "message", "evidence", "found_at"), risk_rows),
            ("snapshot_runs", ("team_id", "day", "deals", "changed", "taken_at"), run_rows),
        ):  # fmt: skip
            with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.execute("SELECT setval('deals_id_seq', (SELECT max(id) FROM deals))")
    # As autovacuum would in time: statistics, and the visibility map that lets index-only scans skip the table.
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    at_risk = len({row[0] for row in risk_rows})
    print(f"change log: {len(change_rows):,} rows; risks: {len(risk_rows):,} on {at_risk:,} open deals")
    return len(snapshot_rows), deal_days, teams[0]


def _churn(runtime: Runtime, deals: int, rng: random.Random) -> None:
    """A day's changes in the CRM: 2 % of deals get a new amount or close date."""
    changed = rng.sample(range(1, deals + 1), max(1, deals // 50))
    with runtime.db.engine.begin() as connection:
        connection.execute(
            text("UPDATE deals SET amount = amount + 1000, close_date = close_date + 7 WHERE id = ANY(:ids)"),
            {"ids": changed},
        )


def _time(run: Callable[[], object], requests: int) -> tuple[float, float]:
    run()
    took = []
    for _ in range(requests):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, round(0.95 * (len(took) - 1)))]


def _quarter(day: date) -> tuple[date, date]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    after = date(first.year + (first.month == 10), (first.month + 3 - 1) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=50_000, help="deals to generate (default 50,000)")
    parser.add_argument("--requests", type=int, default=20, help="timed runs per query and page (default 20)")
    parser.add_argument("--quick", action="store_true", help="2,000 deals, 5 runs: a sanity check")
    args = parser.parse_args()
    if args.quick:
        args.deals, args.requests = 2_000, 5
    with tempfile.TemporaryDirectory() as home, postgres() as url:
        runtime = Runtime(Settings(data_dir=Path(home), database_url=url, llm_backend="none"))
        runtime.db.migrate()
        started = time.perf_counter()
        rows, deal_days, team_id = generate(runtime, url, args.deals)
        print(f"generated in {time.perf_counter() - started:.1f} s: {args.deals:,} deals, {rows:,} snapshot rows")
        with runtime.db.engine.connect() as connection:
            size = connection.execute(text("SELECT pg_total_relation_size('deal_snapshots')")).scalar_one()
        print(
            f"storage: deal_snapshots {size / 2**20:.1f} MiB with indexes ({rows:,} rows); a row per deal per day "
            f"would be {deal_days:,} rows ({deal_days / rows:.0f}x)"
        )
        print(f"machine: {machine()}; load average before: {load_average()}")
        end, start = TODAY, TODAY - timedelta(days=7)
        period = _quarter(end)
        rng = random.Random(7)
        days = [FIRST_DAY + timedelta(days=rng.randrange(30, DAYS)) for _ in range(args.requests + 1)]
        print(f"{'query':40} {'scope':8} {'median ms':>10} {'p95 ms':>8}")
        for scope_name, scope in (("team", Scope(team_id=team_id)), ("company", Scope())):
            with runtime.db.session() as session:
                picks = iter(days * 2)

                def as_of_day(scope: Scope = scope, picks: Iterator[date] = picks) -> object:
                    return forecast_as_of(session, next(picks), currency="RUB", team_id=scope.team_id)

                queries: list[tuple[str, Callable[[], object]]] = [
                    ("forecast as of a day", as_of_day),
                    ("waterfall, a week (quarter)", lambda s=scope: waterfall(session, start, end, period, s, "RUB")),
                    (
                        "trend, 90 days",
                        lambda s=scope: forecast_trend(
                            session, end - timedelta(days=90), end, currency="RUB", team_id=s.team_id
                        ),
                    ),
                    (
                        "trend, a year",
                        lambda s=scope: forecast_trend(
                            session, end - timedelta(days=365), end, currency="RUB", team_id=s.team_id
                        ),
                    ),
                ]
                for name, run in queries:
                    median, p95 = _time(run, args.requests)
                    print(f"{name:40} {scope_name:8} {median:10.1f} {p95:8.1f}")
        query = f"from={start}&to={end}&period_start={period[0]}&period_end={period[1]}"
        quarter = f"team={team_id}&period={end.year}-Q{(end.month - 1) // 3 + 1}"
        for login, viewer in (("rop", "head of sales"), ("admin", "admin")):
            client = logged_in(runtime, login)
            for name, path in (
                ("/app/pipeline/waterfall (a week)", f"/app/pipeline/waterfall?{query}"),
                ("/app/pipeline/trend (90 days)", f"/app/pipeline/trend?to={end}"),
                ("/app/pipeline/kpis (the quarter)", f"/app/pipeline/kpis?{quarter}"),
                ("/app/pipeline/kpis (all open deals)", f"/app/pipeline/kpis?{quarter}&kpi=open_deals"),
                ("/app/pipeline/forecast (this quarter)", "/app/pipeline/forecast"),
                ("/app/pipeline-review", "/app/pipeline-review"),
            ):
                median, p95 = timed(client, path, args.requests)
                print(f"{name:40} {viewer:8} {median:10.1f} {p95:8.1f}")
        _churn(runtime, args.deals, random.Random(3))
        now_day = TODAY + timedelta(days=1)
        for name in ("nightly snapshot pass", "second pass, same day"):
            started = time.perf_counter()
            runs = snapshot_pass(runtime, day=now_day)
            took = time.perf_counter() - started
            looked = sum(run.deals for run in runs)
            print(
                f"{name}: {took:.2f} s; {looked:,} deals looked at, {sum(run.changed for run in runs):,} rows written"
            )
        print(f"load average after: {load_average()}")
        runtime.db.engine.dispose()


if __name__ == "__main__":
    main()
