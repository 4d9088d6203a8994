"""Audit commands: check the access audit log's hash chain, and export it."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.output import err, fail

audit = typer.Typer(help="The access audit log: check its hash chain, export it.", no_args_is_help=True)


@audit.command("verify")
def audit_verify() -> None:
    """Walk the chain from the first entry; exit 1 naming the first entry that was edited or follows a removal."""
    from pipeline.runtime import default_runtime
    from services.audit import verify

    with default_runtime().db.session() as session:
        checked = verify(session)
    if not checked.intact:
        raise fail(f"audit log broken at entry {checked.broken_id}: {checked.reason}", code=1)
    err.print(f"audit log intact: {checked.checked} entries")


@audit.command("export")
def audit_export(
    out: Annotated[Path, typer.Argument(help="File to write; .csv or .jsonl.")],
    user_id: Annotated[int | None, typer.Option(help="Only this user's actions.")] = None,
    action: Annotated[str | None, typer.Option(help="An action ('call.opened') or a group ('sign_in').")] = None,
    call: Annotated[str | None, typer.Option(help="Only entries about this call id.")] = None,
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (UTC).")] = None,
) -> None:
    """Write the log (oldest first, with each entry's hashes) as CSV or JSON lines."""
    from pipeline.runtime import default_runtime
    from services.audit_views import AuditFilter, export_csv, export_jsonl

    if out.suffix not in (".csv", ".jsonl"):
        raise fail(f"{out}: the export is a .csv or a .jsonl file")
    try:
        chosen = AuditFilter(
            actor_id=user_id,
            action=action,
            call_id=call,
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
        )
    except ValueError as exc:
        raise fail(f"dates are YYYY-MM-DD: {exc}") from None
    with default_runtime().db.session() as session:
        text = export_csv(session, chosen) if out.suffix == ".csv" else export_jsonl(session, chosen)
    out.write_text(text, encoding="utf-8")
    err.print(f"audit log written to {out}")
