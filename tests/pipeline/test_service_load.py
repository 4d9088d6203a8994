"""Ingest under load, on real servers: 200 signed webhook requests sent concurrently to `callintel serve` (a real
subprocess) for 150 distinct calls, with repeats and the same audio announced under other call ids. The PBX's
recording storage is a local HTTP server."""

import asyncio
import hashlib
import hmac
import json
import math
import random
import shutil
import struct
import time
import wave
from pathlib import Path

import httpx
from sqlalchemy import func, select

from models import CallStatus
from pipeline.db import Call, Recording
from pipeline.queue.broker import queue_depths
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from tests.support.servers import Services, isolated_servers
from tests.support.service_harness import RecordingServer, free_port, start_api, start_worker, wait_for

SECRET = "webhook-secret"
DISTINCT = 150


def _tone(path: Path, seed: int) -> None:
    """One second of 8 kHz telephone audio, different for every seed."""
    rng = random.Random(seed)
    frequency = 300 + 5 * seed
    samples = [int(3000 * math.sin(2 * math.pi * frequency * n / 8000) + rng.randint(-200, 200)) for n in range(8000)]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def _signed(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Callintel-Timestamp": timestamp,
        "X-Callintel-Signature": f"sha256={digest}",
        "Content-Type": "application/json",
    }


async def _send_all(url: str, bodies: list[bytes]) -> tuple[list[httpx.Response], int]:
    in_flight = peak = 0

    async def send(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await client.post(url, content=body, headers=_signed(body))
        finally:
            in_flight -= 1

    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        answers = await asyncio.gather(*(send(client, body) for body in bodies))
    return list(answers), peak


def test_200_concurrent_webhooks_store_150_calls_once(services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "pbx"
    folder.mkdir()
    for n in range(DISTINCT):
        _tone(folder / f"c{n:03d}.wav", n)
    server = RecordingServer(folder)
    bodies = [
        json.dumps({"call_id": f"id{n:03d}", "recording_url": server.url(f"c{n:03d}.wav")}).encode()
        for n in range(DISTINCT)
    ]
    rng = random.Random(7)
    # 30 repeats of a call id, and 20 other ids whose recording is a copy of an earlier call's.
    bodies += [rng.choice(bodies[:DISTINCT]) for _ in range(30)]
    for k in range(20):
        shutil.copy(folder / f"c{k:03d}.wav", folder / f"alias{k:02d}.wav")
        bodies.append(
            json.dumps({"call_id": f"alias{k:02d}", "recording_url": server.url(f"alias{k:02d}.wav")}).encode()
        )
    rng.shuffle(bodies)
    assert len(bodies) == 200

    with isolated_servers(services, tmp_path / "home") as iso:
        settings = Settings(
            **iso.settings.model_dump()
            | {"webhook_secret": SECRET, "download_hosts": ["127.0.0.1"], "download_allow_private": True}
        )
        runtime = Runtime(settings)
        runtime.storage.ensure_bucket()
        api, url = start_api(settings, tmp_path, free_port())
        try:
            answers, peak = asyncio.run(_send_all(f"{url}/ingest/webhook", bodies))
        finally:
            api.stop()
        assert peak >= 20
        codes = sorted(a.status_code for a in answers)
        assert codes.count(202) == DISTINCT, {c: codes.count(c) for c in set(codes)}
        assert codes.count(200) == 50
        assert all(a.json()["duplicate"] for a in answers if a.status_code == 200)
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).select_from(Recording)) == DISTINCT
            assert session.scalar(select(func.count()).select_from(Call)) == DISTINCT
            assert session.scalar(select(func.count()).where(Call.enqueued_at.is_not(None))) == DISTINCT
        assert len(list(runtime.storage.keys("recordings/"))) == DISTINCT
        assert queue_depths(runtime.broker)["cpu"] == DISTINCT

        worker = start_worker(settings, tmp_path, queues="cpu,llm")
        try:

            def done() -> bool:
                with runtime.db.session() as session:
                    return (session.scalar(select(func.count()).where(Call.status == CallStatus.done)) or 0) >= 3

            wait_for(done, 300, "a handful of calls processed end to end")
        finally:
            worker.stop()
        with runtime.db.session() as session:
            assert session.scalar(select(func.count()).where(Call.status == CallStatus.failed)) == 0
