"""Embedded mode: take in local recordings and drive each through every stage in this process."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from models import CallInfo, CallResult, ChannelLayout, Stage
from models.errors import BadInput
from pipeline.call_setup import resolve_fields, resolve_script
from pipeline.runtime import Runtime, default_runtime
from pipeline.stages import StageFailed, load_output, run_stage

log = logging.getLogger(__name__)
REP_SPEAKER_CHOICES = ("auto", "first", "second")


class BadOptions(BadInput, ValueError):
    """An option or a file named by an option is unusable; the message names it and the problem."""


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


@dataclass
class CallOptions:
    info: CallInfo
    stored: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        script: str | None = None,
        fields: str | None = None,
        language: str | None = None,
        channels: str | None = None,
        meta: Path | None = None,
        rep_speaker: str | None = None,
        template: str | None = None,
    ) -> "CallOptions":
        """Check every option before any recording is touched, so a typo fails at once with one clear line."""
        info = _load_meta(meta) if meta else CallInfo()
        if channels:
            try:
                info.channels = ChannelLayout.parse(channels)
            except ValueError as exc:
                raise BadOptions(f"--channels: {exc}") from None
        if language:
            info.language = None if language == "auto" else language
        if rep_speaker and rep_speaker not in REP_SPEAKER_CHOICES:
            raise BadOptions(f"--rep-speaker: expected one of {', '.join(REP_SPEAKER_CHOICES)}, got {rep_speaker!r}")
        stored: dict[str, str] = {}
        if script:
            stored["script"] = _checked(script, lambda ref: resolve_script(ref, "en"))
        if fields:
            stored["fields"] = _checked(fields, resolve_fields)
        if template:
            from summarize.templates import resolve_template

            stored["template"] = _checked(template, resolve_template)
        if info.language:
            stored["language"] = info.language
        if rep_speaker:
            stored["rep_speaker"] = rep_speaker
        return cls(info, stored)


def _checked(ref: str, load: Callable[[str], object]) -> str:
    path = Path(ref)
    stored = str(path.resolve()) if path.suffix in {".yaml", ".yml"} or path.exists() else ref
    try:
        load(stored)
    except (ValueError, OSError, KeyError) as exc:
        raise BadOptions(str(exc).strip("'\"")) from None
    return stored


def _load_meta(path: Path) -> CallInfo:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadOptions(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadOptions(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadOptions(f"{path}: expected a JSON object with the call's details")
    if isinstance(data.get("channels"), str):
        try:
            data["channels"] = ChannelLayout.parse(data["channels"]).model_dump()
        except ValueError as exc:
            raise BadOptions(f"{path}: channels: {exc}") from None
    try:
        return CallInfo.model_validate(data)
    except ValidationError as exc:
        raise BadOptions(f"{path}: {_first_error(exc)}") from None


@dataclass
class Outcome:
    source: str
    call_id: str | None = None
    result: CallResult | None = None
    error: str | None = None


STAGE_LABEL = {Stage.transcribe: "transcribing", Stage.diarize: "finding speakers", Stage.analyze: "analysing"}


def process_call(call_id: str, runtime: Runtime, on_stage: Callable[[Stage], object] | None = None) -> CallResult:
    """Run every stage still due for a call, in order."""
    stage: Stage | None = Stage.transcribe
    while stage is not None:
        if on_stage is not None:
            on_stage(stage)
        stage = run_stage(call_id, stage, runtime)
    return load_output(runtime, call_id, "result", CallResult)


def process_files(
    files: list[Path], options: CallOptions, *, runtime: Runtime | None = None, progress_console: Console | None = None
) -> list[Outcome]:
    """Process each recording; one that fails is reported and the rest go on."""
    from ingest.files import IngestError, ingest_file

    runtime = runtime or default_runtime()
    outcomes: list[Outcome] = []
    columns = (
        TextColumn("{task.fields[name]}", style="bold"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=progress_console or Console(stderr=True), transient=False) as progress:
        for path in files:
            outcome = Outcome(str(path))
            outcomes.append(outcome)
            task = progress.add_task("storing", total=len(Stage), name=path.name)

            def on_stage(stage: Stage, task: TaskID = task) -> None:
                progress.update(task, completed=list(Stage).index(stage), description=STAGE_LABEL[stage])

            try:
                outcome.call_id = ingest_file(path, runtime, options.info, options.stored)
                outcome.result = process_call(outcome.call_id, runtime, on_stage)
                progress.update(task, completed=len(Stage), description="done")
            except IngestError as exc:
                outcome.error = str(exc).removeprefix(f"{path}: ")
                progress.update(task, description="[red]not stored")
            except StageFailed as exc:
                outcome.error = f"{exc.reason} (call {exc.call_id}, stage {exc.stage}; recording kept)"
                progress.update(task, description=f"[red]failed at {exc.stage}")
    return outcomes
