"""Deal commands for embedded mode (and for an operator in service mode): import deals from a file, link calls to
deals, run a risk pass. The scheduler process sends the same passes as queue messages."""

from pathlib import Path
from typing import Annotated

import typer

from cli.output import err, fail

deals = typer.Typer(
    help="Deals: sync from amoCRM, Bitrix24 or HubSpot or import from a file, link calls, find deals at risk.",
    no_args_is_help=True,
)


@deals.command("import")
def deals_import(
    file: Annotated[Path, typer.Argument(help="A CSV (header of field names) or JSON file of deals.", exists=True)],
    crm: Annotated[str, typer.Option(help="The name the deals' ids belong to (one per CRM).")] = "import",
) -> None:
    """Import deals for a CRM without an adapter; importing the same file again changes nothing."""
    from pipeline.runtime import default_runtime
    from services.deals.importing import ImportRefused, import_deals

    if not crm.strip() or len(crm) > 16:
        raise fail("--crm: give a name of 1 to 16 characters")
    try:
        with default_runtime().db.session() as session:
            counts = import_deals(session, file, crm.strip())
    except ImportRefused as exc:
        raise fail(str(exc)) from None
    err.print(
        f"{file.name}: {counts.added} added, {counts.changed} changed ({counts.deleted} deleted), "
        f"{counts.unchanged} unchanged"
    )


@deals.command("sync")
def deals_sync(
    full: Annotated[bool, typer.Option(help="Read every deal again (finds Bitrix24's deleted deals).")] = False,
) -> None:
    """Sync deals from every connected amoCRM/Kommo, Bitrix24 and HubSpot account (changes since the last sync),
    then link every call not linked by hand to its deal: by the deal id from telephony, else by the customer's
    phone."""
    from pipeline.runtime import default_runtime
    from services.deals.passes import sync_pass

    done = sync_pass(default_runtime(), full=full)
    for synced in done.synced:
        if synced.skipped:
            err.print(f"CRM connection {synced.connection_id}: a sync is already running elsewhere; skipped")
            continue
        err.print(
            f"CRM connection {synced.connection_id}: {synced.added} deals added, {synced.changed} changed, "
            f"{synced.deleted} deleted, {synced.unchanged} unchanged ({synced.pages} pages; "
            f"{synced.history} history entries read back)"
        )
    for connection_id, problem in done.failed.items():
        err.print(f"[bold red]error:[/] CRM connection {connection_id}: {problem} (the next sync resumes here)")
    counts = done.links
    err.print(
        f"calls linked by deal id: {counts['deal_id']}, by phone: {counts['phone']}; "
        f"several candidate deals (choose on the call's page): {counts['ambiguous']}; no deal found: {counts['none']}"
    )
    if done.failed:
        raise typer.Exit(1)


@deals.command("webhook")
def deals_webhook(
    team: Annotated[str, typer.Argument(help="The team whose CRM connection sends the webhook.")],
    crm: Annotated[str, typer.Option(help="amocrm, bitrix24 or hubspot.")],
    secret: Annotated[
        str | None,
        typer.Option(
            help="Bitrix24: the outbound webhook's application token; HubSpot: the app's client secret.",
            envvar="CALLINTEL_CRM_WEBHOOK_SECRET",
        ),
    ] = None,
) -> None:
    """Make the address the CRM sends its deal changes to (a new one replaces the last) and print it once."""
    from sqlalchemy import select

    from pipeline.db import CRMConnection, Team
    from pipeline.runtime import default_runtime
    from services.deals.webhooks import WebhookSetupError, make_webhook

    runtime = default_runtime()
    with runtime.db.session() as session:
        connection_id = session.scalar(
            select(CRMConnection.id)
            .join(Team, CRMConnection.team_id == Team.id)
            .where(Team.name == team, CRMConnection.kind == crm, CRMConnection.enabled.is_(True))
        )
        if connection_id is None:
            raise fail(f"team '{team}' has no {crm} connection (`callintel crm connect`)")
        try:
            token = make_webhook(session, runtime.settings, connection_id, secret)
        except WebhookSetupError as exc:
            raise fail(str(exc)) from None
    base = (runtime.settings.public_url or "https://CALLINTEL_PUBLIC_URL").rstrip("/")
    typer.echo(f"{base}/hooks/crm/{token}")


@deals.command("risks")
def deals_risks() -> None:
    """Check every open deal for risks; new risks are sent to subscribers as deal.at_risk events."""
    from pipeline.runtime import default_runtime
    from services.deals.passes import risk_pass

    # No publish message from here: in service mode the API's reconciler queues the new events' deliveries.
    counts = risk_pass(default_runtime(), notify=False)
    err.print(
        f"{counts.deals} open deals checked: {counts.at_risk} at risk, {counts.new_risks} new risks, "
        f"{counts.cleared} cleared, {counts.events} deal.at_risk events"
    )
    if counts.failed:
        # Each failure is logged with its deal; the other deals were checked and saved.
        raise fail(f"{len(counts.failed)} deals could not be checked (see the log): ids {counts.failed[:20]}")


@deals.command("settings")
def deals_settings(
    team: Annotated[str, typer.Argument(help="Team name.")],
    no_activity_days: Annotated[
        int | None, typer.Option(min=1, help="Days without a call before a deal stalls.")
    ] = None,
    stage_days: Annotated[
        list[str] | None, typer.Option("--stage-days", help="STAGE=DAYS (the stage's CRM id or name); repeatable.")
    ] = None,
    close_date_moves: Annotated[int | None, typer.Option(min=1, help="Close date moves that make a risk.")] = None,
    advanced_probability: Annotated[
        float | None, typer.Option(min=0, max=1, help="Stages at this default probability expect budget and DM.")
    ] = None,
    off: Annotated[list[str] | None, typer.Option("--off", help="A risk not raised for this team; repeatable.")] = None,
    on: Annotated[list[str] | None, typer.Option("--on", help="A risk raised again; repeatable.")] = None,
) -> None:
    """Show a team's deal-risk settings, or change those given."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from models.deals import RiskKind, RiskSettings
    from pipeline.db import Team
    from pipeline.runtime import default_runtime
    from services.deals.risk_pass import save_team_risk_settings, team_risk_settings

    kinds = {kind.value for kind in RiskKind}
    unknown = sorted({*(off or []), *(on or [])} - kinds)
    if unknown:
        raise fail(f"unknown risk {', '.join(unknown)}; expected some of {', '.join(sorted(kinds))}")
    changes: dict[str, object] = {}
    for name, value in (
        ("no_activity_days", no_activity_days),
        ("close_date_moves", close_date_moves),
        ("advanced_probability", advanced_probability),
    ):
        if value is not None:
            changes[name] = value
    with default_runtime().db.session() as session:
        row = session.scalar(select(Team).where(Team.name == team))
        if row is None:
            raise fail(f"no team '{team}' (add it with `callintel team set {team}`)")
        current = team_risk_settings(session, row.id)
        if stage_days:
            by_stage = dict(current.no_activity_days_by_stage)
            for item in stage_days:
                stage, sep, days = item.rpartition("=")
                if not sep or not stage.strip() or not days.strip().isdigit() or int(days) < 1:
                    raise fail(f"--stage-days: expected STAGE=DAYS with DAYS >= 1, got {item!r}")
                by_stage[stage.strip()] = int(days)
            changes["no_activity_days_by_stage"] = by_stage
        if off or on:
            changes["off"] = sorted((set(current.off) | set(off or [])) - set(on or []))
        try:
            settings = RiskSettings.model_validate({**current.model_dump(), **changes})
        except ValidationError as exc:
            raise fail(f"deal-risk settings: {exc.errors()[0]['msg']}") from None
        if changes:
            save_team_risk_settings(session, row.id, settings)
    typer.echo(settings.model_dump_json(indent=2))
