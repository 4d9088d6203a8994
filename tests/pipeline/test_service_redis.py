"""Redis as the broker instead of RabbitMQ: the same worker takes a call through every stage. Real servers
(PostgreSQL, Redis, the S3 server; scripts/services.sh) and a real `callintel worker` subprocess."""

from pathlib import Path

import redis

from ingest.intake import take_in
from models import CallStatus, IncomingCall
from pipeline.db import Call
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.servers import Services, isolated_servers
from tests.support.service_harness import start_worker, wait_for


def test_a_call_goes_through_every_stage_on_redis(services: Services, data_dir: Path, tmp_path: Path) -> None:
    url = services.env["CALLINTEL_REDIS_URL"]
    redis.Redis.from_url(url).flushdb()
    with isolated_servers(services, tmp_path / "home") as iso:
        settings = Settings(**iso.settings.model_dump() | {"broker_url": url})
        runtime = Runtime(settings)
        runtime.storage.ensure_bucket()
        call_id = take_in(
            IncomingCall(provider="test", external_id="redis-1"), data_dir / "fw_stereo_diarization.wav", runtime
        ).call_id
        worker = start_worker(settings, tmp_path, queues="cpu,llm,publish")
        try:

            def finished() -> Call | None:
                with runtime.db.session() as session:
                    row = session.get(Call, call_id)
                return row if row and row.status in (CallStatus.done, CallStatus.failed) else None

            row = wait_for(finished, 300, "the call to finish")
        finally:
            worker.stop()
        assert isinstance(row, Call) and row.status == CallStatus.done, getattr(row, "error", None)
        assert runtime.storage.exists(f"calls/{call_id}/result.json")
