"""The callintel command: the outermost layer, importing stage code lazily inside the commands."""

import json
import logging
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import track

import pipeline
from cli import audit, catalogue, crm, deals, directory, keys, pipeline_review, scheduler, service, users
from cli.output import err, fail, report_error
from pipeline import logs

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")

app = typer.Typer(help="Call intelligence for sales teams.", no_args_is_help=True, add_completion=False)
SAMPLE = Path(pipeline.__file__).resolve().parent / "samples" / "aws_pca_call_8k_mono.wav"


class LanguageChoice(StrEnum):
    auto = "auto"
    ru = "ru"
    en = "en"


# The options `process` and `analyze` share, declared once so both commands read them the same way.
ScriptOption = Annotated[str | None, typer.Option("--script", help="Call script: a built-in name or a YAML file.")]
FieldsOption = Annotated[str | None, typer.Option("--fields", help="CRM field schema: a built-in name or a YAML file.")]
TemplateOption = Annotated[
    str | None,
    typer.Option("--template", help="Note template the summary fills: a bundled name (discovery) or a YAML file."),
]
LanguageOption = Annotated[LanguageChoice | None, typer.Option("--language", help="Language of the calls.")]
MetaOption = Annotated[
    Path | None, typer.Option("--meta", help="JSON file with the call's date, direction, numbers, rep, CRM ids.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print results as JSON instead of a report.")]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage.")] = False,
    log_format: Annotated[str, typer.Option(help="Log lines as 'text' or 'json'.")] = "text",
) -> None:
    logs.configure(logging.INFO if verbose else logging.WARNING, log_format)


@app.command()
def process(
    recordings: Annotated[list[Path] | None, typer.Argument(help="Recordings; a bundled sample call if none.")] = None,
    script: ScriptOption = None,
    fields: FieldsOption = None,
    template: TemplateOption = None,
    language: LanguageOption = None,
    channels: Annotated[str | None, typer.Option(help="Stereo layout, e.g. agent=1,customer=0.")] = None,
    meta: MetaOption = None,
    rep_speaker: Annotated[
        str | None, typer.Option(help="Mono calls: auto, first or second speaker is the rep.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Transcribe, split by speaker, score against the call script and propose CRM fields."""
    from cli.process import BadOptions, CallOptions, process_files

    try:
        options = CallOptions.build(
            script=script,
            fields=fields,
            language=language.value if language else None,
            channels=channels,
            meta=meta,
            rep_speaker=rep_speaker,
            template=template,
        )
    except BadOptions as exc:
        raise fail(str(exc)) from None
    files = recordings or [SAMPLE]
    outcomes = process_files(files, options, progress_console=err)
    from pipeline.redaction import shown_result
    from pipeline.runtime import default_runtime

    console = Console()
    settings = default_runtime().settings
    shown = [(o.source, shown_result(o.result, settings)) for o in outcomes if o.result is not None]
    if as_json:
        console.print_json(json.dumps([result.model_dump(mode="json") for _, result in shown]))
    else:
        from pipeline.render import render_call

        for source, result in shown:
            render_call(console, source, result)
    failed = [o for o in outcomes if o.error]
    for outcome in failed:
        report_error(f"{outcome.source}: {outcome.error}")
    if failed:
        raise typer.Exit(1)


@app.command()
def analyze(
    transcripts: Annotated[
        list[Path], typer.Argument(help="Transcript files: JSON utterances, or 'rep: …' / 'customer: …' lines.")
    ],
    script: ScriptOption = None,
    fields: FieldsOption = None,
    template: TemplateOption = None,
    language: LanguageOption = None,
    meta: MetaOption = None,
    as_json: JsonOption = False,
) -> None:
    """Analyse transcripts made elsewhere (a PBX's speech analytics, another recogniser, a chat) as a call is."""
    from cli.process import BadOptions, CallOptions
    from pipeline.redaction import shown_transcript_analysis
    from pipeline.render import render_analysis
    from pipeline.runtime import default_runtime
    from pipeline.transcripts import TranscriptUnreadable, analyze_file

    try:
        options = CallOptions.build(
            script=script,
            fields=fields,
            language=language.value if language else None,
            meta=meta,
            template=template,
        )
    except BadOptions as exc:
        raise fail(str(exc)) from None
    runtime = default_runtime()
    console = Console()
    results, failed = [], 0
    for path in track(transcripts, description="analysing", console=err, transient=True, disable=len(transcripts) < 2):
        try:
            result = analyze_file(path, options.info, options.stored, runtime)
        except TranscriptUnreadable as exc:
            report_error(str(exc))
            failed += 1
            continue
        shown = shown_transcript_analysis(result, runtime.settings)
        if as_json:
            results.append(shown.model_dump(mode="json"))
        else:
            render_analysis(console, shown.source, shown.conversation, shown.analysis, shown.conversation.duration_s)
    if as_json:
        console.print_json(json.dumps(results))
    if failed:
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from pipeline.runtime import default_runtime

    runtime = default_runtime()
    runtime.db.migrate()
    err.print(f"database at the latest schema: {runtime.settings.db_url}")


@app.command("prepare-models")
def prepare_models(
    llm: Annotated[bool, typer.Option(help="Also prepare the language model.")] = True,
) -> None:
    """Unpack the configured models into the cache now, so the first call is not slowed by it. The Russian
    recognisers (the deployment's and each team's) are opened first: weights missing where a setting points fail
    the command at once, naming the setting or the path."""
    from models.errors import CallintelError
    from pipeline.runtime import default_runtime

    runtime = default_runtime()
    engines = runtime.engines
    for name in _russian_recognisers(runtime):
        with err.status(f"preparing the Russian recogniser {name}"):
            try:
                recogniser = engines.recogniser(name)
            except CallintelError as exc:
                raise fail(str(exc), 1) from exc
        err.print(f"Russian recogniser {name}: {recogniser.name}", highlight=False, soft_wrap=True)
    with err.status("preparing speech recognition model"):
        engines.asr  # noqa: B018 - loading is the point
    with err.status("preparing diarization pipeline"):
        engines.diarizer  # noqa: B018
    if llm:
        with err.status("preparing language model"):
            engines.llm  # noqa: B018
    err.print("models ready")


def _russian_recognisers(runtime: "Runtime") -> list[str]:
    """The recognisers other than the default Whisper that Russian calls may go to: the deployment's setting, then
    the teams' own choices (when the database has teams)."""
    from sqlalchemy import inspect, select

    from pipeline.db import Team
    from pipeline.engines import WHISPER

    names = [runtime.settings.asr_russian_recogniser]
    if inspect(runtime.db.engine).has_table(Team.__tablename__):
        with runtime.db.session() as session:
            names += session.scalars(select(Team.recogniser).where(Team.recogniser.is_not(None)).order_by(Team.id))
    return [name for name in dict.fromkeys(names) if name and name != WHISPER]


app.add_typer(service.app)
app.add_typer(directory.teams, name="team")
app.add_typer(directory.reps, name="rep")
app.add_typer(directory.scripts, name="script")
app.add_typer(directory.field_schemas, name="fields")
app.add_typer(directory.subscribers, name="subscriber")
app.add_typer(crm.crm, name="crm")
app.add_typer(deals.deals, name="deals")
app.add_typer(pipeline_review.pipeline_review, name="pipeline")
app.command()(scheduler.scheduler)
app.add_typer(keys.keys, name="keys")
app.add_typer(catalogue.catalogue, name="catalogue")
app.add_typer(users.users, name="users")
app.add_typer(audit.audit, name="audit")
app.add_typer(service.deliveries, name="delivery")

if __name__ == "__main__":
    app()
