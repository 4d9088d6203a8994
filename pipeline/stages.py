"""run_stage: load a call's inputs by id, call the stage's core, store its output, mark the next stage due.

Embedded mode calls it in a loop; service mode wraps it in queue workers. Every stage overwrites its own output,
so running a stage twice for the same call gives the same stored result. A failure is re-raised as
`BadCallInput` (the call fails at once) or `StageUnavailable` (worth another try), decided by its type under the
policy in models/errors.py.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from models import (
    Analysis,
    AudioInfo,
    CallResult,
    CallStatus,
    Conversation,
    ModelInfo,
    Provenance,
    Recognition,
    Stage,
    Transcript,
)
from models.errors import BadInput, CallintelError, Unavailable, worth_retrying
from pipeline import __version__
from pipeline.call_setup import CallSetup, load_call, resolve_fields, resolve_script
from pipeline.db import Call, CallResultRow, CallSignalRow, Proposal, ScorecardItemRow, StageRun
from pipeline.events import call_failed, call_processed, record_event
from pipeline.redaction import shown_analysis
from pipeline.runtime import Runtime, default_runtime

if TYPE_CHECKING:
    from transcribe.audio import DecodedAudio

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)


class StageFailed(CallintelError, RuntimeError):
    """A stage could not finish; raised as one of the two kinds below, chosen by the type of what went wrong."""

    def __init__(self, call_id: str, stage: Stage, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.call_id = call_id
        self.stage = stage
        self.reason = reason


class BadCallInput(StageFailed, BadInput):
    """The call's input is at fault (undecodable audio, a broken script): the call has failed with the reason."""


class StageUnavailable(StageFailed, Unavailable):
    """Something the stage needs was unavailable, or the failure was unexpected: another try may pass."""


class NoSuchCall(BadInput, LookupError):
    """No call with that id: deleted, or never taken in."""


class StageNotDue(BadInput, RuntimeError):
    """The stage is not the call's next one: a repeated or late message, nothing to do."""


class CallDeleted(StageNotDue):
    """The call was deleted while the stage ran; what the stage wrote is removed again."""


@dataclass
class _Outcome:
    objects: dict[str, BaseModel] = field(default_factory=dict)
    write_db: Callable[[Session, Call], None] | None = None


def output_key(call_id: str, name: str) -> str:
    return f"calls/{call_id}/{name}.json"


def load_output(runtime: Runtime, call_id: str, name: str, kind: type[T]) -> T:
    return kind.model_validate_json(runtime.storage.get_bytes(output_key(call_id, name)))


def _decode(runtime: Runtime, call: CallSetup) -> "DecodedAudio":
    from transcribe.audio import decode

    with runtime.storage.local_path(call.recording_key) as path:
        return decode(path)


def _transcribe(runtime: Runtime, call: CallSetup) -> _Outcome:
    from transcribe.core import StereoRecognition

    audio = _decode(runtime, call)
    router = runtime.engines.router(call.recogniser)
    stereo = StereoRecognition(runtime.settings.asr_stereo)
    transcript, route = router.transcribe(audio, language=call.language, vocabulary=call.vocabulary, stereo=stereo)
    backend = route.backend
    model = ModelInfo(stage=Stage.transcribe, name=backend.name, version=backend.version)
    recognition = Recognition(
        language=route.language,
        language_probability=route.probability,
        language_detected=route.detected,
        recogniser=route.recogniser,
        model=backend.name,
        bias_terms=len(call.vocabulary),
    )
    log.info(
        "call %s recognised in %s by %s (%s), biased towards %d terms",
        call.id,
        route.language,
        route.recogniser,
        backend.name,
        len(call.vocabulary),
    )
    return _Outcome(
        {
            "audio": audio.info,
            "transcript": transcript,
            "transcribe.model": model,
            "transcribe.recognition": recognition,
        }
    )


def _diarize(runtime: Runtime, call: CallSetup) -> _Outcome:
    from diarize.core import split_speakers

    transcript = load_output(runtime, call.id, "transcript", Transcript)
    audio = _decode(runtime, call)
    diarizer = runtime.engines.diarizer if transcript.channels == 1 else None
    # A stereo file recognised as one mix is diarised as one mix too.
    samples = audio.samples.mean(axis=0, keepdims=True) if diarizer and audio.samples.shape[0] > 1 else audio.samples
    conversation = split_speakers(
        samples,
        16000,
        transcript,
        layout=call.info.channels or runtime.settings.channels,
        direction=call.info.direction,
        diarizer=diarizer,
        rep_speaker=call.options.get("rep_speaker") or runtime.settings.rep_speaker,
    )
    objects: dict[str, BaseModel] = {"conversation": conversation}
    if diarizer is not None:
        objects["diarize.model"] = ModelInfo(stage=Stage.diarize, name=diarizer.name, version=diarizer.version)
    return _Outcome(objects)


def _models_used(runtime: Runtime, call_id: str) -> list[ModelInfo]:
    found = []
    for name in ("transcribe.model", "diarize.model"):
        if runtime.storage.exists(output_key(call_id, name)):
            found.append(load_output(runtime, call_id, name, ModelInfo))
    return found


def _recognition(runtime: Runtime, call_id: str) -> Recognition | None:
    """How the call's recogniser was chosen; None for a call transcribed before the choice was kept."""
    if not runtime.storage.exists(output_key(call_id, "transcribe.recognition")):
        return None
    return load_output(runtime, call_id, "transcribe.recognition", Recognition)


def _analyze(runtime: Runtime, call: CallSetup) -> _Outcome:
    from pipeline.analysis import analyze_conversation

    settings = runtime.settings
    conversation = load_output(runtime, call.id, "conversation", Conversation)
    script = resolve_script(call.script_ref, conversation.language, call.script_text)
    fields = resolve_fields(call.fields_ref, call.fields_text)
    llm = runtime.engines.llm
    analysis = analyze_conversation(
        conversation,
        call.info,
        script,
        fields,
        settings,
        llm,
        template_ref=call.summary_template,
        call_id=call.id,
        catalogue=call.catalogue,
    )
    proposals = analysis.proposals
    models = _models_used(runtime, call.id)
    if llm is not None:
        models.append(llm.info)
    result = CallResult(
        id=call.id,
        call=call.info,
        audio=load_output(runtime, call.id, "audio", AudioInfo),
        transcript=load_output(runtime, call.id, "transcript", Transcript),
        conversation=conversation,
        analysis=analysis,
        provenance=Provenance(
            callintel_version=__version__,
            models=models,
            script_id=script.id,
            script_version=script.version,
            fields_id=fields.id,
            fields_version=fields.version,
            config_hash=settings.config_hash(),
            recognition=_recognition(runtime, call.id),
        ),
    )

    def write_db(session: Session, row: Call) -> None:
        session.merge(
            CallResultRow(
                call_id=call.id,
                result_key=output_key(call.id, "result"),
                language=conversation.language,
                duration_s=conversation.duration_s,
                script_id=script.id,
                script_version=script.version,
                fields_id=fields.id,
                fields_version=fields.version,
                config_hash=result.provenance.config_hash,
                score_percent=analysis.scorecard.percent,
                auto_failed=analysis.scorecard.auto_failed,
                rep_talk_ratio=analysis.metrics.rep.talk_ratio,
            )
        )
        session.execute(delete(Proposal).where(Proposal.call_id == call.id))
        for proposal in proposals:
            value = proposal.model_dump(mode="json")["value"]
            session.add(
                Proposal(
                    call_id=call.id,
                    field=proposal.field,
                    value=value,
                    ai_value=value,
                    confidence=proposal.confidence,
                    source=proposal.source,
                    status=proposal.status,
                    evidence=[e.model_dump(mode="json") for e in proposal.evidence],
                )
            )
        shown = shown_analysis(analysis, call.info, conversation.language, settings)
        _write_scorecard_rows(session, call.id, shown)
        record_event(
            session,
            "call.processed",
            call.id,
            call_processed(row, shown, conversation.language, conversation.duration_s),
        )

    return _Outcome({"analysis": analysis, "result": result}, write_db)


def _write_scorecard_rows(session: Session, call_id: str, shown: Analysis) -> None:
    """The call's scorecard answers and deal-gap signals as rows for the team views, replacing earlier ones."""
    session.execute(delete(ScorecardItemRow).where(ScorecardItemRow.call_id == call_id))
    session.execute(delete(CallSignalRow).where(CallSignalRow.call_id == call_id))
    session.add_all(
        ScorecardItemRow(
            call_id=call_id,
            item_id=item.item_id,
            section_id=item.section_id,
            title=item.title,
            answer=item.answer.value,
            score=item.score,
            weight=item.weight,
            source=item.source.value,
            auto_fail=item.auto_fail,
        )
        for item in shown.scorecard.items
    )
    session.add_all(
        CallSignalRow(call_id=call_id, kind=signal.kind.value, severity=signal.severity.value, text=signal.message)
        for signal in shown.signals
    )


STAGES: dict[Stage, Callable[[Runtime, CallSetup], _Outcome]] = {
    Stage.transcribe: _transcribe,
    Stage.diarize: _diarize,
    Stage.analyze: _analyze,
}


def run_stage(call_id: str, stage: Stage, runtime: Runtime | None = None, *, will_retry: bool = False) -> Stage | None:
    """Run one stage of one call; returns the stage now due, or None when the call is done.

    Raises NoSuchCall, StageNotDue when `stage` is not the call's next stage, and BadCallInput or StageUnavailable
    when it fails. A failure is final (the call is marked failed and a call.failed event recorded) when it is bad
    input or `will_retry` is False.
    """
    runtime = runtime or default_runtime()
    started = time.perf_counter()
    with runtime.db.session() as session:
        row = session.get(Call, call_id)
        if row is None:
            raise NoSuchCall(f"no call {call_id}")
        if row.next_stage != stage:
            raise StageNotDue(f"call {call_id}: {stage} is not due (next: {row.next_stage or 'nothing'})")
        row.status = CallStatus.processing
        row.error = None
        # A run still marked running belonged to a worker that died mid-stage; this run replaces it.
        session.execute(
            update(StageRun)
            .where(StageRun.call_id == call_id, StageRun.status == "running")
            .values(status="interrupted", finished_at=datetime.now(UTC))
        )
        run = StageRun(call_id=call_id, stage=stage, status="running")
        session.add(run)
        session.flush()
        run_id = run.id
        setup = load_call(session, row, runtime.settings)
    extra = {"call_id": call_id, "stage": str(stage)}
    log.info("stage %s started", stage, extra=extra)
    try:
        outcome = STAGES[stage](runtime, setup)
        for name, obj in outcome.objects.items():
            runtime.storage.put_bytes(output_key(call_id, name), obj.model_dump_json(indent=1).encode())
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        retryable = worth_retrying(exc)
        final = not (retryable and will_retry)
        _finish(runtime, call_id, stage, run_id, started, error=f"{stage}: {reason}", final=final)
        log.warning("stage %s failed%s: %s", stage, "" if final else " (will retry)", reason, extra=extra)
        failure = StageUnavailable if retryable else BadCallInput
        raise failure(call_id, stage, reason) from exc
    next_stage = stage.next()
    try:
        _finish(runtime, call_id, stage, run_id, started, next_stage=next_stage, write_db=outcome.write_db)
    except CallDeleted:
        for name in outcome.objects:
            runtime.storage.delete(output_key(call_id, name))
        raise

    log.info("stage %s done in %.2f s", stage, time.perf_counter() - started, extra=extra)
    return next_stage


def _finish(
    runtime: Runtime,
    call_id: str,
    stage: Stage,
    run_id: int,
    started: float,
    *,
    error: str | None = None,
    final: bool = True,
    next_stage: Stage | None = None,
    write_db: Callable[[Session, Call], None] | None = None,
) -> None:
    with runtime.db.session() as session:
        row = session.get(Call, call_id, with_for_update=True)
        run = session.get(StageRun, run_id)
        if row is None or run is None:
            raise CallDeleted(f"call {call_id} was deleted while its {stage} stage ran")
        run.finished_at = datetime.now(UTC)
        run.duration_s = time.perf_counter() - started
        if error is not None:
            run.status, run.error = "failed", error
            row.error = error
            if final and row.next_stage == stage:
                row.status = CallStatus.failed
                record_event(session, "call.failed", call_id, call_failed(row, stage, error))
            elif row.next_stage == stage:
                row.status = CallStatus.queued
            return
        if row.next_stage != stage:
            # Another run of this stage finished first (a redelivered message): its result and events stand.
            run.status = "superseded"
            return
        run.status = "done"
        row.next_stage = next_stage
        row.enqueued_at = None
        row.status = CallStatus.queued if next_stage else CallStatus.done
        if write_db is not None:
            write_db(session, row)


def give_up(call_id: str, stage: Stage, reason: str, runtime: Runtime) -> bool:
    """Fail a call whose stage ran out of retries without being able to record it (the database was down at the
    last try): the call is failed with the reason and a call.failed event recorded. False when there was nothing
    to do (the stage has finished since, or the call is gone)."""
    error = f"{stage}: {reason}"
    with runtime.db.session() as session:
        row = session.get(Call, call_id, with_for_update=True)
        if row is None or row.next_stage != stage or row.status in (CallStatus.done, CallStatus.failed):
            return False
        session.execute(
            update(StageRun)
            .where(StageRun.call_id == call_id, StageRun.status == "running")
            .values(status="failed", error=error, finished_at=datetime.now(UTC))
        )
        row.status, row.error = CallStatus.failed, error
        record_event(session, "call.failed", call_id, call_failed(row, stage, error))
    log.warning("stage %s gave up: %s", stage, reason, extra={"call_id": call_id, "stage": str(stage)})
    return True
