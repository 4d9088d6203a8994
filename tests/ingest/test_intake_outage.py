"""PostgreSQL stopped while an upload is being written to S3 (a PostgreSQL of the test's own, stopped the moment the
real S3 write completes; the S3 server is the shared one): the client gets 503 and the object left in the bucket is
still accounted for, as pending, until the sweep deletes it; the same upload sent again once the database is back
is kept."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.db import PendingRecording, Recording
from pipeline.reconcile import reconcile
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.servers import Services
from web.app import create_app


@pytest.fixture
def postgres() -> Iterator[OwnPostgres]:
    with own_postgres() as server:
        yield server


def _objects(runtime: Runtime) -> set[str]:
    return set(runtime.storage.keys("recordings/"))


def _accounted(runtime: Runtime) -> tuple[set[str], set[str]]:
    """Objects some recording points at, and objects noted as being written."""
    with runtime.db.session() as session:
        recorded = set(session.scalars(select(Recording.storage_key).where(Recording.purged_at.is_(None))))
        pending = set(session.scalars(select(PendingRecording.storage_key)))
    return recorded, pending


def _upload(client: TestClient, audio: Path) -> tuple[int, dict]:
    with audio.open("rb") as file:
        answer = client.post(
            "/ingest/upload",
            files={"file": ("call.wav", file, "audio/wav")},
            data={"meta": json.dumps({"rep_extension": "101"})},
            headers={"Authorization": "Bearer api-token"},
        )
    return answer.status_code, answer.json()


def test_database_stopped_mid_write_leaves_no_recording_unaccounted(
    services: Services, postgres: OwnPostgres, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        data_dir=tmp_path / "home",
        database_url=postgres.url,
        storage="s3",
        s3_endpoint=services.env["CALLINTEL_S3_ENDPOINT"],
        s3_bucket=f"t{uuid.uuid4().hex[:12]}",
        broker_url="stub://",
        api_token="api-token",
        llm_backend="none",
    )
    runtime = Runtime(settings)
    runtime.storage.ensure_bucket()  # type: ignore[attr-defined]
    audio = data_dir / "pisets_test_sound_ru.wav"
    write = runtime.storage.put_file

    def write_then_stop_the_database(key: str, path: Path) -> None:
        write(key, path)
        postgres.stop()

    with TestClient(create_app(runtime)) as client:
        monkeypatch.setattr(runtime.storage, "put_file", write_then_stop_the_database)
        status, answer = _upload(client, audio)
        assert (status, answer) == (503, {"detail": "database unavailable, try again later"})
        monkeypatch.setattr(runtime.storage, "put_file", write)
        postgres.start()

        [written] = _objects(runtime)
        recorded, pending = _accounted(runtime)
        assert (recorded, pending) == (set(), {written})
        # Within the grace period the object is left alone: an intake of it could still be under way.
        assert reconcile(runtime).orphans_removed == 0
        assert _objects(runtime) == {written}

        later = datetime.now(UTC) + timedelta(seconds=settings.orphan_grace_s + 1)
        assert reconcile(runtime, now=later).orphans_removed == 1
        assert _objects(runtime) == set()
        assert _accounted(runtime) == (set(), set())

        # The sender tries again once the database is back: stored, recorded, and never taken for an orphan.
        status, answer = _upload(client, audio)
        assert status == 202, answer
        assert _accounted(runtime) == ({written}, set())
        assert reconcile(runtime, now=later).orphans_removed == 0
        assert _objects(runtime) == {written}
