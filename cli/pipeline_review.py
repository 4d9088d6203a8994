"""Pipeline review commands: daily snapshots and each team's snapshot time, each team's target per period, and the
pipeline KPIs as a report or JSON."""

import json
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from cli.output import err, fail

pipeline_review = typer.Typer(help="The pipeline review: snapshots, targets and KPIs.", no_args_is_help=True)
targets = typer.Typer(help="What each team should win per period, in its currency.", no_args_is_help=True)
pipeline_review.add_typer(targets, name="targets")


@pipeline_review.command("snapshot")
def snapshot(
    day: Annotated[
        str | None, typer.Option("--date", help="The day (YYYY-MM-DD); default each team's due day.")
    ] = None,
) -> None:
    """Take each team's daily pipeline snapshot now (stored as changes since the previous one)."""
    from pipeline.db import Team
    from pipeline.runtime import default_runtime
    from services.pipeline_review.snapshot_pass import snapshot_pass
    from services.pipeline_review.snapshots import SnapshotRefused

    try:
        chosen = date.fromisoformat(day) if day is not None else None
    except ValueError:
        raise fail(f"--date: expected YYYY-MM-DD, got {day!r}") from None
    runtime = default_runtime()
    try:
        done = snapshot_pass(runtime, day=chosen)
    except SnapshotRefused as exc:
        raise fail(str(exc)) from None
    with runtime.db.session() as session:
        for run in done:
            team = session.get(Team, run.team_id) if run.team_id is not None else None
            name = team.name if team else "deals without a team"
            if run.skipped:
                err.print(f"{name}: snapshot of {run.day} already taken")
            else:
                err.print(f"{name}: snapshot of {run.day}: {run.deals} deals, {run.changed} changed")


@pipeline_review.command("snapshot-time")
def snapshot_time(
    team: Annotated[str, typer.Argument(help="The team's name.")],
    at: Annotated[str, typer.Argument(help="HH:MM in the team's time zone.")],
) -> None:
    """Set when a team's daily snapshot is taken, in the team's time zone."""
    from sqlalchemy import select

    from pipeline.db import Team
    from pipeline.runtime import default_runtime
    from services.pipeline_review.snapshots import DEFAULT_ZONE, SnapshotRefused, parse_snapshot_time

    try:
        parsed = parse_snapshot_time(at)
    except SnapshotRefused as exc:
        raise fail(str(exc)) from None
    with default_runtime().db.session() as session:
        found = session.scalar(select(Team).where(Team.name == team))
        if found is None:
            raise fail(f"no team {team!r}")
        found.snapshot_time = f"{parsed:%H:%M}"
        err.print(f"{team}: daily snapshot at {found.snapshot_time} ({found.timezone or DEFAULT_ZONE})")


PeriodArgument = Annotated[str, typer.Argument(help="A month (2026-12), a quarter (2026-Q4), a year or FROM..TO.")]


@targets.command("set")
def targets_set(
    team: Annotated[str, typer.Argument(help="The team's name.")],
    period: PeriodArgument,
    amount: Annotated[str, typer.Argument(help="What the team should win in the period.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code; the KPIs of the period sum deals in it.")] = "RUB",
) -> None:
    """Set (or replace) a team's target for a period."""
    from pipeline.runtime import default_runtime
    from services.pipeline_review.targets import Period, TargetRefused, set_target

    try:
        with default_runtime().db.session() as session:
            row = set_target(session, team, Period.parse(period), amount, currency, "cli")
            err.print(f"{team} {period}: target {row.amount} {row.currency}")
    except TargetRefused as exc:
        raise fail(str(exc)) from None


@targets.command("list")
def targets_list(team: Annotated[str | None, typer.Argument(help="Only this team.")] = None) -> None:
    """Every target, by team and period."""
    from pipeline.runtime import default_runtime
    from services.pipeline_review.targets import TargetRefused, list_targets

    try:
        with default_runtime().db.session() as session:
            for name, row in list_targets(session, team):
                typer.echo(f"{name}\t{row.period_start}..{row.period_end}\t{row.amount} {row.currency}")
    except TargetRefused as exc:
        raise fail(str(exc)) from None


@pipeline_review.command("kpis")
def kpis(
    team: Annotated[str, typer.Argument(help="The team's name.")],
    period: Annotated[
        str | None, typer.Option(help="A month, a quarter, a year or FROM..TO; default this month.")
    ] = None,
    rep: Annotated[str | None, typer.Option(help="Only this rep of the team (by name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs with their deals as JSON.")] = False,
) -> None:
    """A team's (or one rep's) pipeline KPIs for a period, with the deals behind each."""
    from sqlalchemy import select

    from pipeline.db import Rep, Team
    from pipeline.runtime import default_runtime
    from services.pipeline_review.kpis import KPI_KEYS, pipeline_kpis, team_zone
    from services.pipeline_review.targets import Period, TargetRefused

    now = datetime.now(UTC)
    with default_runtime().db.session() as session:
        found = session.scalar(select(Team).where(Team.name == team))
        if found is None:
            raise fail(f"no team {team!r}")
        rep_id = None
        if rep is not None:
            rep_id = session.scalar(select(Rep.id).where(Rep.team_id == found.id, Rep.name == rep))
            if rep_id is None:
                raise fail(f"no rep {rep!r} in team {team!r}")
        try:
            chosen = Period.parse(period) if period else Period.month_of(now.astimezone(team_zone(found)).date())
        except TargetRefused as exc:
            raise fail(str(exc)) from None
        report = pipeline_kpis(session, found.id, chosen, now, rep_id)
    assert report is not None
    figures = report.figures
    if as_json:
        body = {
            "team": report.team,
            "period": chosen.label,
            "as_of": report.as_of.isoformat(),
            "currency": report.currency,
            "target": None if report.target is None else str(report.target),
            "kpis": {key: _plain(figures.kpis[key].value) for key in KPI_KEYS},
            "deals": {key: [ref.id for ref in figures.kpis[key].deals] for key in KPI_KEYS},
            "apart": [
                {"deal": ref.id, "amount": _plain(ref.amount), "currency": ref.currency} for ref in figures.apart
            ],
        }
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{report.team} {chosen.label} ({report.currency}, as of {report.as_of:%Y-%m-%d %H:%M} UTC)")
    for key in KPI_KEYS:
        kpi = figures.kpis[key]
        typer.echo(f"  {key}: {_plain(kpi.value) if kpi.value is not None else '—'} ({len(kpi.deals)} deals)")
    for ref in figures.apart:
        typer.echo(f"  apart: deal {ref.id} {ref.name}: {ref.amount} {ref.currency}")


def _plain(value: object) -> object:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 4)
    return str(value)
