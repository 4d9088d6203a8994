"""Service mode end to end, on real servers (PostgreSQL, RabbitMQ, an S3 server; scripts/services.sh) and real
processes: `callintel serve` and `callintel worker` as subprocesses, a local HTTP server standing in for the PBX's
recording storage, and a local HTTP subscriber receiving signed events."""

import base64
import hashlib
import hmac
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from cli.process import CallOptions, process_files
from crm_fill.adapters.secrets import generate_key
from models import CallResult
from pipeline.db import Delivery
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from publish.admin import add_subscriber
from tests.support.servers import Services, isolated_servers
from tests.support.service_harness import (
    Process,
    RecordingServer,
    Subscriber,
    free_port,
    start_api,
    start_worker,
    variant,
    wait_for,
)

TWILIO_TOKEN = "twilio-auth-token"
TWILIO_ACCOUNT = "AC0123456789abcdef0123456789abcdef"
API_TOKEN = "api-token"
S3_EVENTS_TOKEN = "s3-events-token"


@dataclass
class Stack:
    settings: Settings
    runtime: Runtime
    api: Process
    url: str
    worker: Process
    subscriber: Subscriber
    recordings: RecordingServer
    folder: Path

    def get_call(self, call_id: str) -> dict:
        answer = httpx.get(f"{self.url}/calls/{call_id}", headers={"Authorization": f"Bearer {API_TOKEN}"})
        answer.raise_for_status()
        return answer.json()

    def processed(self, call_id: str) -> list:
        return [e for e in self.subscriber.of_type("call.processed") if e.body["data"]["call_id"] == call_id]


@pytest.fixture(scope="module")
def stack(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("e2e")
    folder = home / "pbx"
    folder.mkdir()
    with isolated_servers(services, home / "home") as iso:
        port = free_port()
        settings = Settings(
            **iso.settings.model_dump()
            | {
                "api_token": API_TOKEN,
                "public_url": f"http://127.0.0.1:{port}",
                "twilio_auth_token": TWILIO_TOKEN,
                "twilio_account_sid": TWILIO_ACCOUNT,
                "s3_events_token": S3_EVENTS_TOKEN,
                # The telephony drops recordings into the service's own bucket, under its drop zone.
                "s3_incoming_prefix": "incoming/",
                "download_hosts": ["127.0.0.1"],
                # The stand-in PBX listens on loopback; production keeps private addresses refused.
                "download_allow_private": True,
                "publish_min_backoff_s": 0.5,
                "publish_max_backoff_s": 2.0,
                "crm_secrets_key": SecretStr(generate_key()),
            }
        )
        runtime = Runtime(settings)
        runtime.storage.ensure_bucket()
        subscriber = Subscriber()
        subscriber.start()
        add_subscriber(runtime, subscriber.url, subscriber.secret, [])
        recordings = RecordingServer(folder)
        api, url = start_api(settings, home, port)
        worker = start_worker(settings, home)
        yield Stack(settings, runtime, api, url, worker, subscriber, recordings, folder)
        worker.stop()
        api.stop()
        recordings.stop()
        subscriber.stop()


def _twilio_signature(url: str, form: dict[str, str]) -> str:
    """Twilio's documented request signature, computed independently of the code under test."""
    text = url + "".join(key + form[key] for key in sorted(form))
    return base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), text.encode(), hashlib.sha1).digest()).decode()


def _embedded(recording: Path, tmp_path: Path, settings: Settings) -> CallResult:
    """What `callintel process` gives for the same file and result-changing settings."""
    embedded = Settings(data_dir=tmp_path / "embedded", llm_backend=settings.llm_backend)
    assert embedded.config_hash() == settings.config_hash()
    [outcome] = process_files([recording], CallOptions.build(), runtime=Runtime(embedded))
    assert outcome.result is not None, outcome.error
    return outcome.result


def _same_analysis(service: CallResult, embedded: CallResult) -> None:
    assert [(w.text, w.channel) for w in service.transcript.words] == [
        (w.text, w.channel) for w in embedded.transcript.words
    ]
    assert [(u.role, u.text) for u in service.conversation.utterances] == [
        (u.role, u.text) for u in embedded.conversation.utterances
    ]
    card, expected = service.analysis.scorecard, embedded.analysis.scorecard
    assert [(i.item_id, i.answer, i.source) for i in card.items] == [
        (i.item_id, i.answer, i.source) for i in expected.items
    ]
    assert card.percent == expected.percent
    assert service.provenance.config_hash == embedded.provenance.config_hash


def test_twilio_callback_leads_to_a_processed_event(stack: Stack, data_dir: Path, tmp_path: Path) -> None:
    recording = data_dir / "fw_stereo_diarization.wav"
    shutil.copy(recording, stack.folder / "RE11.wav")
    form = {
        "AccountSid": TWILIO_ACCOUNT,
        "CallSid": "CA11",
        "RecordingSid": "RE11",
        "RecordingStatus": "completed",
        "RecordingUrl": stack.recordings.url("RE11"),
        "RecordingChannels": "2",
        "RecordingDuration": "5",
    }
    url = f"{stack.settings.public_url}/ingest/twilio"
    answer = httpx.post(url, data=form, headers={"X-Twilio-Signature": _twilio_signature(url, form)})
    assert answer.status_code == 202, answer.text
    call_id = answer.json()["call_id"]
    events = wait_for(lambda: stack.processed(call_id), 300, "call.processed")
    assert len(events) == 1 and events[0].signature_problem is None  # type: ignore[arg-type]
    detail = stack.get_call(call_id)
    assert detail["status"] == "done"
    assert [s["stage"] for s in detail["timeline"] if s["status"] == "done"] == ["transcribe", "diarize", "analyze"]
    service = CallResult.model_validate(detail["result"])
    _same_analysis(service, _embedded(recording, tmp_path, stack.settings))
    assert events[0].body["data"]["score_percent"] == service.analysis.scorecard.percent  # type: ignore[index]

    again = httpx.post(url, data=form, headers={"X-Twilio-Signature": _twilio_signature(url, form)})
    assert again.status_code == 200 and again.json() == {"call_id": call_id, "duplicate": True}


def test_bucket_event_leads_to_a_processed_event(stack: Stack, data_dir: Path, tmp_path: Path) -> None:
    recording = data_dir / "pisets_test_sound_ru.wav"
    key = "incoming/2025-02-19/call 77.wav"
    stack.runtime.storage.client.fput_object(stack.settings.s3_bucket, key, str(recording))  # type: ignore[attr-defined]
    event = {
        "EventName": "s3:ObjectCreated:Put",
        "Key": f"{stack.settings.s3_bucket}/{key}",
        "Records": [
            {
                "eventName": "s3:ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": stack.settings.s3_bucket},
                    "object": {
                        "key": "incoming/2025-02-19/call+77.wav",
                        "size": recording.stat().st_size,
                        "eTag": "0123",
                    },
                },
            }
        ],
    }
    unauthorised = httpx.post(f"{stack.url}/ingest/s3", json=event)
    assert unauthorised.status_code == 401
    answer = httpx.post(f"{stack.url}/ingest/s3", json=event, headers={"Authorization": f"Bearer {S3_EVENTS_TOKEN}"})
    assert answer.status_code in (200, 202), answer.text
    [taken] = answer.json()["calls"]
    call_id = taken["call_id"]
    wait_for(lambda: stack.processed(call_id), 300, "call.processed")
    service = CallResult.model_validate(stack.get_call(call_id)["result"])
    _same_analysis(service, _embedded(recording, tmp_path, stack.settings))


def test_subscriber_down_delivery_retried_until_it_is_back(stack: Stack, data_dir: Path) -> None:
    stack.subscriber.stop()
    try:
        variant(data_dir / "fw_stereo_diarization.wav", stack.folder, "down.wav")
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        with (stack.folder / "down.wav").open("rb") as src:
            answer = httpx.post(f"{stack.url}/ingest/upload", files={"file": ("down.wav", src)}, headers=headers)
        assert answer.status_code == 202, answer.text
        call_id = answer.json()["call_id"]

        def retried() -> bool:
            with stack.runtime.db.session() as session:
                attempts = session.scalars(
                    select(Delivery.attempts).join(Delivery.event).where(Delivery.event.has(call_id=call_id))
                ).all()
            return bool(attempts) and max(attempts) >= 2

        wait_for(retried, 300, "failed delivery attempts")
        assert not stack.processed(call_id)
    finally:
        stack.subscriber.start()
    events = wait_for(lambda: stack.processed(call_id), 60, "the delivery once the subscriber is back")
    assert len(events) == 1  # type: ignore[arg-type]
