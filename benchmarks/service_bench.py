"""Service mode's own cost and throughput, on real servers (scripts/services.sh: PostgreSQL, RabbitMQ, the S3 server).

1. Overhead per call on a 5-second recording: the call is taken in (`ingest.intake.take_in`: hash, store, insert,
   queue) and run through every stage by a dramatiq worker inside this process, so every storage read and write
   (timed through a proxy around the storage) and every database statement (timed by SQLAlchemy cursor events) is
   counted, and the gaps between one stage's end and the next one's start (send, queue, pick-up) are taken from the
   stage timeline. Overhead = intake + gaps + storage + database: everything a call costs beyond the models' work.
   Intake is timed on its own (hash, store, insert, queue); storage and database are timed from then until the call
   is done; the rest of the overhead is sending, waiting and picking up between stages.
2. Calls per hour with 1 and 2 `callintel worker` processes (subprocesses, as deployed) on a set of short calls,
   CPU threads split between the workers.

Run: `.venv/bin/python -m benchmarks.service_bench [--calls 12] [--overhead-runs 5]`.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dramatiq
import psycopg
from sqlalchemy import event, func, select

from benchmarks.recordings import ROOT
from benchmarks.report import load_average, machine
from ingest.intake import take_in
from models import CallStatus, IncomingCall
from pipeline import stages
from pipeline.db import Call
from pipeline.queue.actors import declare_stage_actors
from pipeline.queue.broker import queue_depths
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.storage import Storage

SERVICES = ROOT / "scripts" / "services.sh"
SHORT_CALLS = (
    ROOT / "tests" / "data" / "fw_stereo_diarization.wav",
    ROOT / "tests" / "data" / "pisets_test_sound_ru.wav",
)


class TimedStorage:
    """Storage with the seconds spent in each operation added up."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.seconds: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str) -> object:
        target = getattr(self.inner, name)
        if not callable(target) or name == "local_path":
            return target

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return target(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        started = time.perf_counter()
        with self.inner.local_path(key) as path:
            self.seconds["local_path"] += time.perf_counter() - started
            yield path


class DatabaseTimer:
    """Seconds in database statements, except those of this (the measuring) thread, which polls for completion."""

    def __init__(self, runtime: Runtime) -> None:
        self.seconds = 0.0
        self.statements = 0
        self._measuring = threading.get_ident()
        self._started = threading.local()
        event.listen(runtime.db.engine, "before_cursor_execute", self._before)
        event.listen(runtime.db.engine, "after_cursor_execute", self._after)

    def _before(self, *_: object) -> None:
        self._started.at = time.perf_counter()

    def _after(self, *_: object) -> None:
        if threading.get_ident() != self._measuring:
            self.seconds += time.perf_counter() - self._started.at
            self.statements += 1


def _services_env() -> dict[str, str]:
    subprocess.run([SERVICES, "start", "postgres", "rabbitmq", "s3"], check=True)
    out = subprocess.run([SERVICES, "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _fresh_settings(env: dict[str, str], home: Path) -> Settings:
    name = f"bench{uuid.uuid4().hex[:8]}"
    admin = env["CALLINTEL_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(
        data_dir=home,
        database_url=env["CALLINTEL_DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}",
        broker_url=env["CALLINTEL_BROKER_URL"],
        storage="s3",
        s3_endpoint=env["CALLINTEL_S3_ENDPOINT"],
        s3_bucket=name,
        llm_backend=os.environ.get("CALLINTEL_LLM_BACKEND", "none"),  # type: ignore[arg-type]
    )
    runtime = Runtime(settings)
    runtime.storage.ensure_bucket()  # type: ignore[attr-defined]
    queue_depths(runtime.broker)
    runtime.broker.flush_all()
    return settings


def _variant(recording: Path, folder: Path, n: int) -> Path:
    """The recording with one late sample changed, so each call is new content and no duplicate."""
    data = bytearray(recording.read_bytes())
    data[-1 - 2 * n] ^= 1
    path = folder / f"{n:03d}-{recording.name}"
    path.write_bytes(bytes(data))
    return path


def _wait_done(runtime: Runtime, call_ids: list[str], timeout_s: float = 1800) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            finished = session.scalar(
                select(func.count()).where(Call.id.in_(call_ids), Call.status.in_([CallStatus.done, CallStatus.failed]))
            )
        if finished == len(call_ids):
            return
        time.sleep(0.05)
    raise TimeoutError(f"calls not finished after {timeout_s:.0f} s")


class CoreTimer:
    """Seconds spent in the stages' own work: their functions, less the storage reads inside them."""

    def __init__(self, storage: TimedStorage) -> None:
        self.seconds = 0.0
        self._storage = storage
        for stage, core in list(stages.STAGES.items()):
            stages.STAGES[stage] = self._timed(core)

    def _timed(self, core):
        def run(*args: object) -> object:
            storage_before = sum(self._storage.seconds.values())
            started = time.perf_counter()
            try:
                return core(*args)
            finally:
                inside = sum(self._storage.seconds.values()) - storage_before
                self.seconds += time.perf_counter() - started - inside

        return run


def overhead(env: dict[str, str], folder: Path, runs: int) -> list[dict[str, float]]:
    settings = _fresh_settings(env, folder / "home")
    runtime = Runtime(settings)
    storage = TimedStorage(runtime.storage)
    runtime.storage = storage  # type: ignore[misc]
    database = DatabaseTimer(runtime)
    core = CoreTimer(storage)
    broker = runtime.broker
    dramatiq.set_broker(broker)
    declare_stage_actors(broker, runtime)
    runtime.engines.asr  # noqa: B018 - models loaded before timing starts
    worker = dramatiq.Worker(broker, queues={"cpu", "llm"}, worker_threads=1)
    worker.queue_prefetch = 1
    worker.start()
    figures = []
    try:
        warm = take_in(IncomingCall(provider="bench"), _variant(SHORT_CALLS[0], folder, 999), runtime).call_id
        _wait_done(runtime, [warm])
        for n in range(runs):
            path = _variant(SHORT_CALLS[0], folder, n)
            started = time.perf_counter()
            call_id = take_in(IncomingCall(provider="bench", external_id=f"o{n}"), path, runtime).call_id
            intake_s = time.perf_counter() - started
            storage.seconds.clear()
            database.seconds, database.statements, core.seconds = 0.0, 0, 0.0
            _wait_done(runtime, [call_id])
            total_s = time.perf_counter() - started
            storage_s = sum(storage.seconds.values())
            overhead_s = total_s - core.seconds
            figures.append(
                {
                    "intake_ms": intake_s * 1000,
                    "storage_ms": storage_s * 1000,
                    "database_ms": database.seconds * 1000,
                    "overhead_ms": overhead_s * 1000,
                    "db_statements": database.statements,
                    "core_s": core.seconds,
                    "total_s": total_s,
                }
            )
    finally:
        worker.stop()
        broker.close()
    return figures


def throughput(env: dict[str, str], folder: Path, workers: int, calls: int) -> float:
    """Calls per hour: from the first call taken in to the last one done, with the workers' models loaded first."""
    settings = _fresh_settings(env, folder / f"home{workers}")
    runtime = Runtime(settings)
    threads = max(1, (os.cpu_count() or 1) // workers)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("CALLINTEL_")}
    for name, value in settings.model_dump(mode="json", exclude_none=True).items():
        if not isinstance(value, list | dict):
            child_env[f"CALLINTEL_{name.upper()}"] = str(value)
    child_env["CALLINTEL_ASR_CPU_THREADS"] = str(threads)
    child_env["OMP_NUM_THREADS"] = str(threads)
    processes = []
    logs = []
    for n in range(workers):
        log = (folder / f"worker{workers}-{n}.log").open("w")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "cli.main", "worker", "--queues", "cpu,llm"],
                cwd=ROOT,
                env=child_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        while not all("worker taking" in (folder / f"worker{workers}-{n}.log").read_text() for n in range(workers)):
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a worker exited; see {folder}")
            time.sleep(0.5)
        paths = [_variant(SHORT_CALLS[n % len(SHORT_CALLS)], folder, 100 * workers + n) for n in range(calls)]
        started = time.perf_counter()
        call_ids = [take_in(IncomingCall(provider="bench"), path, runtime).call_id for path in paths]
        _wait_done(runtime, call_ids)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(120)
        for log in logs:
            log.close()
    return calls / elapsed * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=12, help="short calls per throughput run")
    parser.add_argument("--overhead-runs", type=int, default=5)
    args = parser.parse_args()
    env = _services_env()
    with tempfile.TemporaryDirectory(prefix="callintel-bench-") as tmp:
        folder = Path(tmp)
        figures = overhead(env, folder, args.overhead_runs)
        per_worker = {n: throughput(env, folder, n, args.calls) for n in (1, 2)}
    llm = os.environ.get("CALLINTEL_LLM_BACKEND", "none")
    print(f"Machine: {machine()}; load average {load_average()}; LLM backend {llm}")
    print("\nService-mode overhead per call (5-s stereo recording; median of runs):\n")
    print(
        "| intake ms | storage ms | database ms | queue and pick-up ms | overhead ms | DB statements | stage work s |"
    )
    print("|---|---|---|---|---|---|---|")
    medians = {k: sorted(f[k] for f in figures)[len(figures) // 2] for k in figures[0]}
    print(
        f"| {medians['overhead_ms']:.0f} | {medians['intake_ms']:.0f} | {medians['storage_ms']:.0f} | "
        f"{medians['database_ms']:.0f} | {medians['db_statements']:.0f} | {medians['core_s']:.2f} |"
    )
    print(f"\nThroughput ({args.calls} short calls, 3-5 s each, speech + rules analysis):\n")
    print("| workers | calls per hour |")
    print("|---|---|")
    for workers, rate in per_worker.items():
        print(f"| {workers} | {rate:.0f} |")


if __name__ == "__main__":
    main()
