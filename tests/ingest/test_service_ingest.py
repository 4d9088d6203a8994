"""Ingest refusals and outages against the real intake, on real servers (PostgreSQL, RabbitMQ, the S3 server;
scripts/services.sh): each bad request gets a 4xx naming the problem and leaves nothing behind, a good call after
them goes through, and with the S3 server down the answer is 503 with nothing half-stored. The PBX's recording
storage is a local HTTP server."""

import hashlib
import hmac
import json
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ingest.intake import take_in_object
from ingest.sweep import sweep_incoming
from models import IncomingCall
from pipeline.db import Call, Recording
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.servers import Isolated
from tests.support.service_harness import RecordingServer, free_port
from web.app import create_app

SECRET = "webhook-secret"


def _signed(body: dict | bytes, *, secret: str = SECRET, age_s: int = 0) -> dict:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time()) - age_s)
    signature = "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return {"content": raw, "headers": {"X-Callintel-Timestamp": stamp, "X-Callintel-Signature": signature}}


def _counts(runtime: Runtime) -> tuple[int, int, int]:
    with runtime.db.session() as session:
        calls = session.scalar(select(func.count()).select_from(Call)) or 0
        recordings = session.scalar(select(func.count()).select_from(Recording)) or 0
    return calls, recordings, len(list(runtime.storage.keys("recordings/")))


def test_bad_requests_are_refused_and_leave_nothing(isolated: Isolated, data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "pbx"
    folder.mkdir()
    (folder / "call.wav").write_bytes((data_dir / "fw_stereo_diarization.wav").read_bytes())
    (folder / "big.wav").write_bytes(b"RIFF" + b"\0" * 400_000)
    server = RecordingServer(folder)
    common = {"webhook_secret": SECRET, "download_max_bytes": 350_000, "api_token": "api-token"}
    # The stand-in PBX is on loopback: one app may download from it, the other keeps internal addresses refused.
    lan = Runtime(
        Settings(
            **isolated.settings.model_dump()
            | common
            | {"download_hosts": ["127.0.0.1"], "download_allow_private": True}
        )
    )
    lan.storage.ensure_bucket()  # type: ignore[attr-defined]
    public = Runtime(
        Settings(**isolated.settings.model_dump() | common | {"download_hosts": ["127.0.0.1", "localhost"]})
    )
    try:
        with TestClient(create_app(lan)) as client, TestClient(create_app(public)) as guarded:
            good = {"call_id": "c-1", "recording_url": server.url("call.wav")}
            refusals = [
                (client, {"content": json.dumps(good).encode()}, 401, "missing X-Callintel-Timestamp"),
                (client, _signed(good, secret="guess"), 401, "does not match"),
                (client, _signed(good, age_s=3600), 401, "old"),
                (client, _signed(b'{"call_id": "c-1", '), 422, "not valid JSON"),
                (client, _signed({"recording_url": server.url("call.wav")}), 422, "call_id"),
                (client, _signed(good | {"started_at": "yesterday"}), 422, "started_at"),
                (client, _signed(good | {"recording_url": "http://pbx.example.net/call.wav"}), 422, "pbx.example.net"),
                (client, _signed(good | {"recording_url": server.url("missing.wav")}), 422, "404"),
                (client, _signed(good | {"recording_url": server.url("big.wav")}), 422, "350000"),
                (guarded, _signed(good), 422, "127.0.0.1"),
                (
                    guarded,
                    _signed(good | {"recording_url": f"http://localhost:{server.port}/call.wav"}),
                    422,
                    "loopback",
                ),
            ]
            for app, request, status, reason in refusals:
                answer = app.post("/ingest/webhook", **request)
                assert answer.status_code == status, (reason, answer.text)
                assert reason in answer.json()["detail"], (reason, answer.text)
            assert _counts(lan) == (0, 0, 0)

            accepted = client.post("/ingest/webhook", **_signed(good))
            assert accepted.status_code == 202, accepted.text
            assert _counts(lan) == (1, 1, 1)
    finally:
        server.stop()


def test_storage_down_at_ingest_answers_503_and_keeps_nothing(isolated: Isolated, data_dir: Path) -> None:
    settings = isolated.settings.model_dump() | {"api_token": "api-token", "s3_endpoint": f"127.0.0.1:{free_port()}"}
    runtime = Runtime(Settings(**settings))
    with TestClient(create_app(runtime)) as client, (data_dir / "pisets_test_sound_ru.wav").open("rb") as audio:
        answer = client.post(
            "/ingest/upload",
            files={"file": ("call.wav", audio, "audio/wav")},
            data={"meta": json.dumps({"call_id": "up-1"})},
            headers={"Authorization": "Bearer api-token"},
        )
    assert answer.status_code == 503, answer.text
    assert answer.json()["detail"] == "storage unavailable, try again later"
    assert answer.headers["Retry-After"]
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
        assert session.scalar(select(func.count()).select_from(Recording)) == 0


def test_drop_zone_recordings_without_an_event_are_taken_in_once(isolated: Isolated, data_dir: Path) -> None:
    runtime = Runtime(Settings(**isolated.settings.model_dump() | {"s3_incoming_prefix": "incoming/"}))
    runtime.storage.ensure_bucket()  # type: ignore[attr-defined]
    bucket = isolated.settings.s3_bucket
    runtime.storage.put_file("incoming/pbx-1.wav", data_dir / "pisets_test_sound_ru.wav")
    runtime.storage.put_file("elsewhere/other.wav", data_dir / "fw_stereo_diarization.wav")
    assert sweep_incoming(runtime) == 1
    assert sweep_incoming(runtime) == 0
    with runtime.db.session() as session:
        [(provider, external_id)] = session.execute(select(Call.provider, Call.external_id)).all()
    assert (provider, external_id) == ("s3", f"{bucket}/incoming/pbx-1.wav")
    late_event = IncomingCall(provider="s3", external_id=external_id, bucket=bucket, object_key="incoming/pbx-1.wav")
    assert take_in_object(late_event, runtime).duplicate
