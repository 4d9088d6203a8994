"""Calls as the pipeline leaves them, written straight into a runtime's database and storage: the API and
retention tests read them without running any stage."""

import hashlib
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from models import (
    Analysis,
    AudioInfo,
    CallInfo,
    CallResult,
    CallStatus,
    Conversation,
    ConversationMetrics,
    FieldProposal,
    Provenance,
    Role,
    RoleMetrics,
    Scorecard,
    Stage,
    Summary,
    Transcript,
    Utterance,
    Word,
)
from pipeline.db import Call, CallResultRow, Proposal, Recording, StageRun
from pipeline.queue.broker import make_broker
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.stages import output_key

WAV = Path(__file__).resolve().parents[1] / "data" / "pisets_test_sound_ru.wav"


def stub_runtime(settings: Settings) -> Runtime:
    """A runtime on the test's servers whose queue is in memory, so sent messages can be read back."""
    runtime = Runtime(settings)
    runtime.storage.ensure_bucket()  # type: ignore[attr-defined]
    runtime.broker = make_broker("stub://")
    return runtime


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def store_recording(runtime: Runtime, data: bytes | None = None, *, created_at: datetime | None = None) -> int:
    # Trailing bytes make each recording distinct: recordings are stored once per content.
    data = data if data is not None else WAV.read_bytes() + uuid.uuid4().bytes
    sha = hashlib.sha256(data).hexdigest()
    key = f"recordings/{sha[:2]}/{sha}.wav"
    runtime.storage.put_bytes(key, data)
    with runtime.db.session() as session:
        recording = Recording(
            sha256=sha,
            storage_key=key,
            original_name="call.wav",
            size_bytes=len(data),
            created_at=created_at or datetime.now(UTC),
        )
        session.add(recording)
        session.flush()
        return recording.id


def _words() -> list[Word]:
    return [
        Word(text="Здравствуйте,", start=0.0, end=0.6, probability=0.9),
        Word(text="бюджет", start=0.7, end=1.1, probability=0.9),
        Word(text="сто", start=1.2, end=1.4, probability=0.9),
        Word(text="тысяч.", start=1.5, end=1.9, probability=0.9),
    ]


def outputs(call_id: str, info: CallInfo, sha: str) -> dict[str, object]:
    """Each stage's stored outputs for a short two-speaker call, by output name."""
    audio = AudioInfo(
        container="wav", codec="pcm_s16le", sample_rate=16000, channels=1, duration_s=2.0, size_bytes=64000, sha256=sha
    )
    transcript = Transcript(language="ru", language_probability=0.95, duration_s=2.0, channels=1, words=_words())
    conversation = Conversation(
        language="ru",
        duration_s=2.0,
        method="diarization",
        role_rule="the first speaker greets",
        roles={"SPEAKER_00": Role.rep, "SPEAKER_01": Role.customer},
        turns=[(0.0, 0.6, "SPEAKER_00"), (0.7, 1.9, "SPEAKER_01")],
        utterances=[
            Utterance(speaker="SPEAKER_00", role=Role.rep, start=0.0, end=0.6, words=_words()[:1]),
            Utterance(speaker="SPEAKER_01", role=Role.customer, start=0.7, end=1.9, words=_words()[1:]),
        ],
    )
    role = RoleMetrics(
        talk_time_s=0.6,
        talk_ratio=0.5,
        longest_monologue_s=0.6,
        interruptions=0,
        questions=0,
        words=2,
        speech_rate_wpm=120,
    )
    analysis = Analysis(
        metrics=ConversationMetrics(duration_s=2.0, silence_share=0.2, overlap_s=0.0, rep=role, customer=role),
        summary=Summary(language="ru", text="Клиент назвал бюджет.", source="extractive"),
        scorecard=Scorecard(
            script_id="ru_b2b_discovery",
            script_version="1",
            items=[],
            sections=[],
            score=3.0,
            max_score=4.0,
            percent=75.0,
            decided_share=1.0,
        ),
        proposals=[FieldProposal(field="budget", value="100000", confidence=0.8, source="rule")],
        dropped_claims=0,
    )
    result = CallResult(
        id=call_id,
        call=info,
        audio=audio,
        transcript=transcript,
        conversation=conversation,
        analysis=analysis,
        provenance=Provenance(
            callintel_version="test",
            models=[],
            script_id="ru_b2b_discovery",
            script_version="1",
            fields_id="default",
            fields_version="1",
            config_hash="0" * 16,
        ),
    )
    return {
        Stage.transcribe: {"audio": audio, "transcript": transcript},
        Stage.diarize: {"conversation": conversation},
        Stage.analyze: {"analysis": analysis, "result": result},
    }


def add_call(
    runtime: Runtime,
    *,
    done: tuple[Stage, ...] = tuple(Stage),
    status: CallStatus | None = None,
    recording_id: int | None = None,
    created_at: datetime | None = None,
    provider: str = "upload",
    external_id: str | None = None,
    rep_id: int | None = None,
    team_id: int | None = None,
    info: CallInfo | None = None,
    error: str | None = None,
) -> str:
    """A call whose stages in `done` finished (outputs stored, runs on its timeline); status follows from them."""
    call_id = uuid.uuid4().hex
    created_at = created_at or datetime.now(UTC)
    recording_id = recording_id or store_recording(runtime, created_at=created_at)
    info = info or CallInfo(started_at=created_at - timedelta(minutes=5), rep_name="Анна", team="Москва")
    remaining = [stage for stage in Stage if stage not in done]
    with runtime.db.session() as session:
        sha = session.scalar(select(Recording.sha256).where(Recording.id == recording_id)) or ""
        session.add(
            Call(
                id=call_id,
                recording_id=recording_id,
                provider=provider,
                external_id=external_id,
                rep_id=rep_id,
                team_id=team_id,
                status=status or (CallStatus.queued if remaining else CallStatus.done),
                next_stage=remaining[0] if remaining else None,
                error=error,
                info=info.model_dump(mode="json"),
                options={},
                created_at=created_at,
                updated_at=created_at,
            )
        )
        session.flush()
        produced = outputs(call_id, info, sha)
        for offset, stage in enumerate(done):
            started = created_at + timedelta(seconds=10 * offset)
            session.add(
                StageRun(
                    call_id=call_id,
                    stage=stage,
                    status="done",
                    started_at=started,
                    finished_at=started + timedelta(seconds=3),
                    duration_s=3.0,
                )
            )
            for name, obj in produced[stage].items():
                runtime.storage.put_bytes(output_key(call_id, name), obj.model_dump_json().encode())  # type: ignore[attr-defined]
        if Stage.analyze in done:
            session.add(
                CallResultRow(
                    call_id=call_id,
                    result_key=output_key(call_id, "result"),
                    language="ru",
                    duration_s=2.0,
                    script_id="ru_b2b_discovery",
                    script_version="1",
                    fields_id="default",
                    fields_version="1",
                    config_hash="0" * 16,
                    score_percent=75.0,
                    auto_failed=False,
                    rep_talk_ratio=0.5,
                )
            )
            session.add(
                Proposal(
                    call_id=call_id,
                    field="budget",
                    value="100000",
                    ai_value="100000",
                    confidence=0.8,
                    source="rule",
                    status="proposed",
                    evidence=[],
                )
            )
    return call_id
