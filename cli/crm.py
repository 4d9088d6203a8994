"""CRM commands: connect a team's CRM account for write-back, list connections, disconnect, make a secrets key."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.output import err, fail

crm = typer.Typer(
    help="CRM accounts that approved field values are written back to (amoCRM/Kommo, Bitrix24, HubSpot, webhook).",
    no_args_is_help=True,
)

SECRET_NAMES = ("client_secret", "access_token", "refresh_token", "webhook_url", "signing_secret")


def _secret(name: str, what: str) -> object:
    return typer.Option(
        f"--{name.replace('_', '-')}",
        envvar=f"CALLINTEL_CRM_{name.upper()}",
        help=f"{what} Better from the environment variable or --secrets-stdin than on the command line.",
        show_default=False,
    )


def _stdin_secrets(text: str) -> dict[str, str]:
    """A JSON object, or NAME=VALUE lines, of the secrets named in SECRET_NAMES."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise fail(f"--secrets-stdin: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise fail("--secrets-stdin: expected a JSON object")
    else:
        data = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, sep, value = line.partition("=")
            if not sep:
                raise fail(f"--secrets-stdin: line {number} is not NAME=VALUE")
            data[name.strip().lower()] = value.strip()
    unknown = sorted(set(data) - set(SECRET_NAMES))
    if unknown:
        raise fail(f"--secrets-stdin: unknown names {unknown}; expected some of {', '.join(SECRET_NAMES)}")
    return {name: str(value) for name, value in data.items()}


@crm.command("connect")
def crm_connect(
    team: Annotated[str, typer.Option(help="Team name.")],
    kind: Annotated[str, typer.Option(help="amocrm (also Kommo), bitrix24, hubspot or webhook.")],
    url: Annotated[
        str,
        typer.Option(
            help="The account's address: https://x.amocrm.ru, https://x.bitrix24.ru, https://api.hubapi.com, "
            "or the webhook receiver's URL. Never a URL with a secret in it (give a Bitrix24 webhook as --webhook-url)."
        ),
    ],
    field_map: Annotated[Path, typer.Option(help="YAML (or JSON) field map: which CRM field each of ours goes to.")],
    client_id: Annotated[str | None, typer.Option(help="OAuth client (integration) id.")] = None,
    redirect_uri: Annotated[str | None, typer.Option(help="amoCRM: the integration's redirect URI.")] = None,
    client_secret: Annotated[str | None, _secret("client_secret", "OAuth client secret.")] = None,
    access_token: Annotated[str | None, _secret("access_token", "OAuth access token or private app token.")] = None,
    refresh_token: Annotated[str | None, _secret("refresh_token", "OAuth refresh token.")] = None,
    webhook_url: Annotated[str | None, _secret("webhook_url", "Bitrix24 inbound webhook URL (a secret).")] = None,
    signing_secret: Annotated[str | None, _secret("signing_secret", "webhook: the signing key.")] = None,
    secrets_stdin: Annotated[
        bool, typer.Option("--secrets-stdin", help="Read secrets from stdin: a JSON object or NAME=VALUE lines.")
    ] = False,
) -> None:
    """Connect a team's CRM account; connecting the same team and CRM again replaces the connection.

    Secrets can be given as options, as environment variables (CALLINTEL_CRM_ACCESS_TOKEN, ...) or on stdin with
    --secrets-stdin, which keeps them out of the shell history. They are stored encrypted with
    CALLINTEL_CRM_SECRETS_KEY and never printed. The field map is checked against the team's field schema.
    """
    from crm_fill.adapters import FieldMapError, load_field_map
    from pipeline.runtime import default_runtime
    from services.crm_connections import CRMConnectionError, connect

    given: dict[str, str | None] = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "client_secret": client_secret,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "webhook_url": webhook_url,
        "signing_secret": signing_secret,
    }
    if secrets_stdin:
        given.update(_stdin_secrets(sys.stdin.read()))
    try:
        mapping = load_field_map(field_map)
    except FieldMapError as exc:
        raise fail(str(exc)) from None
    runtime = default_runtime()
    try:
        with runtime.db.session() as session:
            _, created = connect(
                session, runtime.settings, team=team, kind=kind, url=url, field_map=mapping, given=given
            )
    except CRMConnectionError as exc:
        raise fail(str(exc)) from None
    verb = "connected" if created else "reconnected"
    err.print(f"{kind} {verb} for team {team}: {len(mapping.fields)} fields mapped", highlight=False)


@crm.command("list")
def crm_list() -> None:
    """CRM connections and the fields they write (never their secrets)."""
    from pipeline.runtime import default_runtime
    from services.crm_connections import list_connections

    table = Table("id", "team", "crm", "url", "enabled", "fields", "updated")
    with default_runtime().db.session() as session:
        for view in list_connections(session):
            table.add_row(
                str(view.id),
                view.team,
                view.kind,
                view.url,
                "yes" if view.enabled else "no",
                ", ".join(view.fields),
                view.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
    Console(width=200).print(table)


@crm.command("disconnect")
def crm_disconnect(
    team: Annotated[str, typer.Option(help="Team name.")],
    kind: Annotated[str, typer.Option(help="amocrm, bitrix24, hubspot or webhook.")],
) -> None:
    """Stop writing to the team's CRM and delete its stored secrets; its pending writes are dropped."""
    from pipeline.runtime import default_runtime
    from services.crm_connections import disconnect

    with default_runtime().db.session() as session:
        removed = disconnect(session, team=team, kind=kind)
    if not removed:
        raise fail(f"team {team} has no {kind} connection")
    err.print(f"{kind} disconnected from team {team}", highlight=False)


@crm.command("key")
def crm_key() -> None:
    """Print a new key for CALLINTEL_CRM_SECRETS_KEY (changing the key means connecting every CRM again)."""
    from crm_fill.adapters import generate_key

    typer.echo(generate_key())
