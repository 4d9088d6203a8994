"""Real servers for service-mode tests: PostgreSQL, RabbitMQ, Redis and an S3 server on loopback, started by
scripts/services.sh (which the session starts once and stops at the end if it started them)."""

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from pipeline.queue.broker import make_broker, queue_depths
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VHOST = "callintel-tests"
SCRIPT = ROOT / "scripts" / "services.sh"


def _env() -> dict[str, str]:
    out = subprocess.run([SCRIPT, "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def _all_up() -> bool:
    status = subprocess.run([SCRIPT, "status"], capture_output=True, text=True).stdout
    return "down" not in status


@dataclass
class Services:
    env: dict[str, str]

    @property
    def pg_admin_url(self) -> str:
        return self.env["CALLINTEL_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")

    def rabbitmqctl(self, *args: str) -> None:
        subprocess.run([SCRIPT, "rabbitmqctl", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    started = not _all_up()
    if started:
        subprocess.run([SCRIPT, "start"], check=True)
    found = Services(_env())
    # One virtual host for the session (rabbitmqctl takes seconds per call); each test empties its queues instead.
    # Made afresh, so queues declared by an older version of the code do not linger.
    subprocess.run([SCRIPT, "rabbitmqctl", "delete_vhost", VHOST], capture_output=True)
    found.rabbitmqctl("add_vhost", VHOST)
    found.rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    yield found
    if started:
        subprocess.run([SCRIPT, "stop"], check=False)
    else:
        found.rabbitmqctl("delete_vhost", VHOST)


@dataclass
class Isolated:
    """One test's own database and bucket, and emptied queues, on the shared servers."""

    settings: Settings
    database: str


@contextmanager
def isolated_servers(services: Services, home: Path) -> Iterator[Isolated]:
    """A fresh database and bucket (the database dropped afterwards) and empty queues."""
    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(services.pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = services.env["CALLINTEL_DATABASE_URL"].rsplit("/", 1)[0]
    amqp = services.env["CALLINTEL_BROKER_URL"].rsplit("/", 1)[0]
    settings = Settings(
        data_dir=home,
        database_url=f"{base}/{name}",
        broker_url=f"{amqp}/{VHOST}",
        storage="s3",
        s3_endpoint=services.env["CALLINTEL_S3_ENDPOINT"],
        s3_bucket=name,
        llm_backend="none",
    )
    broker = make_broker(settings.broker_url)
    queue_depths(broker)  # declares the queues, which purging needs
    broker.flush_all()
    broker.close()
    try:
        yield Isolated(settings, name)
    finally:
        with psycopg.connect(services.pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def isolated(services: Services, tmp_path: Path) -> Iterator[Isolated]:
    with isolated_servers(services, tmp_path / "home") as found:
        yield found
