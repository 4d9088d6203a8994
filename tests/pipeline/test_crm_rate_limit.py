"""One CRM account's rate limit honoured by two worker processes together: both open the stored amoCRM connection
as a publish worker does (`services.crm_connections.open_adapter`, on PostgreSQL) and send requests at once, and the
local amoCRM server (tests/support/crm_servers/amocrm.py, 7 requests a second as amoCRM documents) counts what
reaches it in every 1-s window. Each process alone keeps to the connection's 6 a second; without a shared limit the
two would send 12 a second."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters.http import limiter_for
from pipeline.crm_rate import crm_limiters
from pipeline.db import CRMConnection, Database
from pipeline.runtime import Runtime
from tests.support.crm_calls import KEY, LEAD, team_with_amocrm
from tests.support.crm_servers.amocrm import AmoCRMServer
from tests.support.crm_servers.base import Answer, Request
from tests.support.servers import Isolated

ROOT = Path(__file__).resolve().parents[2]
REQUESTS_PER_WORKER = 15

# A worker: opens the connection, says it is ready, waits for the word, then reads the lead over and over.
WORKER = """
import sys
from pipeline.db import CRMConnection, Database
from pipeline.settings import Settings
from services.crm_connections import open_adapter

settings = Settings()
db = Database(settings.db_url)
with db.session() as session:
    row = session.get(CRMConnection, int(sys.argv[1]))
adapter = open_adapter(db, settings, row)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[2])):
    assert adapter.read_deal(sys.argv[3]) is not None
"""


class CountingAmoCRM(AmoCRMServer):
    """The amoCRM server, noting when each API request arrived and what it answered."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: list[tuple[float, int]] = []

    def handle(self, request: Request) -> Answer:
        answer = super().handle(request)
        with self.lock:
            self.answered.append((time.monotonic(), answer.status))
        return answer


@pytest.fixture
def counting_crm() -> Iterator[CountingAmoCRM]:
    server = CountingAmoCRM()
    server.leads = {LEAD: {"id": LEAD, "name": "Поставка лицензий", "price": 0, "custom_fields_values": None}}
    server.start()
    yield server
    server.stop()


def most_in_one_second(moments: list[float]) -> int:
    moments = sorted(moments)
    return max(sum(1 for later in moments[i:] if later - start < 1.0) for i, start in enumerate(moments))


def test_two_worker_processes_keep_to_one_crm_rate_limit(isolated: Isolated, counting_crm: CountingAmoCRM) -> None:
    settings = isolated.settings.model_copy(update={"crm_secrets_key": SecretStr(KEY)})
    runtime = Runtime(settings)
    team_with_amocrm(runtime, counting_crm)
    with runtime.db.session() as session:
        connection_id = session.scalar(select(CRMConnection.id))
    runtime.db.engine.dispose()
    env = {**os.environ, "CALLINTEL_DATABASE_URL": settings.db_url, "CALLINTEL_CRM_SECRETS_KEY": KEY}
    argv = [sys.executable, "-c", WORKER, str(connection_id), str(REQUESTS_PER_WORKER), str(LEAD)]
    workers = [
        subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]

    moments = [moment for moment, _ in counting_crm.answered]
    statuses = {status for _, status in counting_crm.answered}
    assert len(moments) == 2 * REQUESTS_PER_WORKER and statuses == {200}
    assert most_in_one_second(moments) <= 7
    # 30 requests at 6 a second in all: about 5 s, where two limits of their own would take 2.5 s.
    assert max(moments) - min(moments) >= (2 * REQUESTS_PER_WORKER - 7) / 6


def test_embedded_mode_keeps_the_in_process_limiter(tmp_path: Path) -> None:
    assert crm_limiters(Database(f"sqlite:///{tmp_path / 'callintel.db'}")) is limiter_for
