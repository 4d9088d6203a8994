"""A PostgreSQL server of a test's own, on a free loopback port, for tests that stop and start the database
(stopping the shared one would break every other test using it). Built with the same binaries as
scripts/services.sh; its data lives in a temporary folder of its own (the server's user cannot enter pytest's)."""

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.service_harness import free_port


def _binary(name: str) -> str:
    found = shutil.which(name) or (sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [None])[-1]
    assert found, f"PostgreSQL's {name} not found: apt-get install -y postgresql"
    return found


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else args


@dataclass
class OwnPostgres:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([_binary("pg_ctl"), "-D", str(self.data), *args]), check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-l", str(self.data / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "-w", "stop")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="callintel-pg-"))
    data = folder / "pgdata"
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(
        _as_postgres([_binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    server = OwnPostgres(data, free_port())
    server.start()
    try:
        yield server
    finally:
        subprocess.run(
            _as_postgres([_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)
