"""Directory commands: teams and their settings, reps, stored call scripts and field schemas, subscribers."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from cli.output import err, fail

teams = typer.Typer(help="Sales teams and the settings their calls use.", no_args_is_help=True)
reps = typer.Typer(help="Reps, found by PBX extension or phone number.", no_args_is_help=True)
scripts = typer.Typer(help="Call scripts stored in the database (each upload a new version).", no_args_is_help=True)
field_schemas = typer.Typer(help="CRM field schemas stored in the database.", no_args_is_help=True)
subscribers = typer.Typer(help="URLs that receive signed events.", no_args_is_help=True)

Script = Annotated[str | None, typer.Option(help="Call script: 'auto', a built-in or a stored script name[@version].")]
Fields = Annotated[str | None, typer.Option(help="CRM field schema: a built-in or stored name[@version].")]
Vocabulary = Annotated[str | None, typer.Option(help="Product and company names for recognition, comma-separated.")]
Timezone = Annotated[str | None, typer.Option(help="IANA time zone, e.g. Europe/Moscow.")]
Language = Annotated[str | None, typer.Option(help="ru or en; unset: detected per call.")]
Recogniser = Annotated[
    str | None,
    typer.Option(
        help="The recogniser the team's Russian calls go to: whisper, gigaam or tone, optionally ':MODEL' "
        "(a Whisper model, a GigaAM checkpoint, T-one's model.onnx); '' or unset: CALLINTEL_ASR_RUSSIAN_RECOGNISER."
    ),
]
Template = Annotated[
    str | None, typer.Option(help="Note template the summary fills: 'none', a bundled name or a YAML path.")
]


@teams.command("set")
def team_set(
    name: str,
    script: Script = None,
    fields: Fields = None,
    vocabulary: Vocabulary = None,
    timezone: Timezone = None,
    language: Language = None,
    template: Template = None,
    recogniser: Recogniser = None,
) -> None:
    """Add a team, or change its settings (only those given)."""
    from pipeline.directory import DirectoryError, save_team
    from pipeline.runtime import default_runtime

    terms = [term.strip() for term in vocabulary.split(",") if term.strip()] if vocabulary is not None else None
    try:
        with default_runtime().db.session() as session:
            _, created = save_team(
                session,
                name,
                script=script,
                fields=fields,
                vocabulary=terms,
                timezone=timezone,
                language=language,
                summary_template=template,
                recogniser=recogniser,
            )
    except DirectoryError as exc:
        raise fail(str(exc)) from None
    err.print(f"team {name} {'added' if created else 'updated'}")


@teams.command("list")
def team_list() -> None:
    """Teams and their settings."""
    from pipeline.db import Team
    from pipeline.runtime import default_runtime

    table = Table("team", "script", "fields", "summary template", "time zone", "language", "vocabulary", "recogniser")
    with default_runtime().db.session() as session:
        for team in session.scalars(select(Team).order_by(Team.name)):
            table.add_row(
                team.name,
                team.script or "(default)",
                team.fields or "(default)",
                team.summary_template or "(default)",
                team.timezone or "",
                team.language or "auto",
                ", ".join(team.vocabulary or []),
                team.recogniser or "(default)",
            )
    Console().print(table)


@reps.command("add")
def rep_add(
    name: str,
    extension: Annotated[str | None, typer.Option(help="PBX extension.")] = None,
    phone: Annotated[str | None, typer.Option(help="The rep's own phone number.")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail.")] = None,
    team: Annotated[str | None, typer.Option(help="Team name.")] = None,
) -> None:
    """Add a rep, or update the one with this extension, phone or e-mail."""
    from pipeline.directory import DirectoryError, save_rep
    from pipeline.runtime import default_runtime

    try:
        with default_runtime().db.session() as session:
            rep = save_rep(session, name, extension=extension, phone=phone, email=email, team=team)
            rep_id = rep.id
    except DirectoryError as exc:
        raise fail(str(exc)) from None
    err.print(f"rep {name} saved (id {rep_id})")


@reps.command("list")
def rep_list() -> None:
    """Reps with their extensions, phones and teams."""
    from pipeline.db import Rep, Team
    from pipeline.runtime import default_runtime

    table = Table("id", "rep", "extension", "phone", "e-mail", "team")
    with default_runtime().db.session() as session:
        rows = session.execute(select(Rep, Team.name).outerjoin(Team, Rep.team_id == Team.id).order_by(Rep.name))
        for rep, team in rows:
            table.add_row(str(rep.id), rep.name, rep.extension or "", rep.phone or "", rep.email or "", team or "")
    Console().print(table)


def _store(kind: str, path: Path) -> None:
    from crm_fill.schema import load_field_schema
    from pipeline.directory import DirectoryError, store_document
    from pipeline.runtime import default_runtime
    from scoring_scripts.loader import load_script

    try:
        document = load_script(path) if kind == "script" else load_field_schema(path)
        with default_runtime().db.session() as session:
            store_document(session, kind, document.id, document.version, path.read_text(encoding="utf-8"))
    except (ValueError, DirectoryError) as exc:
        raise fail(str(exc)) from None
    err.print(f"stored {kind} {document.id} version {document.version}; use it with --{kind} {document.id}")


@scripts.command("add")
def script_add(path: Path) -> None:
    """Validate a call script YAML file and store it as a new version."""
    _store("script", path)


@field_schemas.command("add")
def fields_add(path: Path) -> None:
    """Validate a CRM field schema YAML file and store it as a new version."""
    _store("fields", path)


def _list_documents(kind: str) -> None:
    from pipeline.db import StoredDocument
    from pipeline.runtime import default_runtime

    table = Table("name", "version", "stored at")
    with default_runtime().db.session() as session:
        query = select(StoredDocument).where(StoredDocument.kind == kind).order_by(StoredDocument.created_at)
        for doc in session.scalars(query):
            table.add_row(doc.name, doc.version, f"{doc.created_at:%Y-%m-%d %H:%M}")
    Console().print(table)


@scripts.command("list")
def script_list() -> None:
    """Stored call scripts and their versions."""
    _list_documents("script")


@field_schemas.command("list")
def fields_list() -> None:
    """Stored field schemas and their versions."""
    _list_documents("fields")


@subscribers.command("add")
def subscriber_add(
    url: str,
    secret: Annotated[
        str, typer.Option(help="Key that signs every event sent to this URL.", prompt=True, hide_input=True)
    ],
    events: Annotated[str, typer.Option(help="Event types, comma-separated; empty: all.")] = "",
) -> None:
    """Send signed events to a URL."""
    from pipeline.runtime import default_runtime
    from publish.admin import add_subscriber

    try:
        subscriber_id = add_subscriber(
            default_runtime(), url, secret, [e.strip() for e in events.split(",") if e.strip()]
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    err.print(f"subscriber {subscriber_id} added: {url}")


@subscribers.command("list")
def subscriber_list() -> None:
    """Subscribers and the events they receive."""
    from pipeline.runtime import default_runtime
    from publish.admin import list_subscribers

    table = Table("id", "url", "events", "active")
    for sub in list_subscribers(default_runtime()):
        table.add_row(str(sub.id), sub.url, ", ".join(sub.events) or "all", "yes" if sub.active else "no")
    Console().print(table)


@subscribers.command("remove")
def subscriber_remove(subscriber: Annotated[str, typer.Argument(help="Subscriber id or URL.")]) -> None:
    """Stop sending events to a subscriber (its delivery history is kept)."""
    from pipeline.runtime import default_runtime
    from publish.admin import remove_subscriber

    if not remove_subscriber(default_runtime(), subscriber):
        raise fail(f"no subscriber {subscriber!r}")
    err.print(f"subscriber {subscriber} removed")
