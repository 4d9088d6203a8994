"""A team's deal-risk settings (heads of sales for their team, admins for any): each risk on or off and its
thresholds. A change is written to the access audit log and used by the next risk pass."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from models.deals import RiskKind
from pipeline.db import Team
from services.accounts import UserRole
from services.audit import AuditAction
from services.deals.risk_pass import team_risk_settings
from services.deals.risk_settings import RiskSettingsChange, RiskSettingsRefused, change_risk_settings, stage_rows
from web.access_log import log_access
from web.auth import Viewer
from web.deps import Manager, SessionDep
from web.pages.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/app/deals/risk-settings"


def _teams(session: SessionDep, viewer: Viewer) -> list[Team]:
    query = select(Team).order_by(Team.name)
    if viewer.role is not UserRole.admin:
        query = query.where(Team.id == viewer.team_id)
    return list(session.scalars(query))


def _chosen(teams: list[Team], name: str) -> Team:
    """The named team among those the viewer may change; another team answers 404, as one that does not exist."""
    chosen = next((team for team in teams if team.name == name), None)
    if chosen is None:
        raise HTTPException(404, f"no team {name}")
    return chosen


def _page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    team_name: str | None,
    status_code: int = 200,
    error: str | None = None,
    saved: bool = False,
) -> HTMLResponse:
    teams = _teams(session, viewer)
    team = _chosen(teams, team_name) if team_name is not None else (teams[0] if teams else None)
    settings = team_risk_settings(session, team.id) if team is not None else None
    return render(
        request,
        viewer,
        "deal_risk_settings.html",
        status_code,
        teams=teams,
        team=team,
        settings=settings,
        stages=stage_rows(session, settings) if settings is not None else [],
        kinds=list(RiskKind),
        error=error,
        saved=saved,
    )


@router.get(PAGE)
def risk_settings_page(
    request: Request, viewer: Manager, session: SessionDep, team: str | None = None, saved: bool = False
) -> HTMLResponse:
    return _page(request, session, viewer, team, saved=saved)


@router.post(PAGE)
def save_risk_settings(
    request: Request,
    viewer: Manager,
    session: SessionDep,
    team: Annotated[str, Form(max_length=128)],
    no_activity_days: Annotated[str, Form(max_length=16)],
    close_date_moves: Annotated[str, Form(max_length=16)],
    advanced_probability: Annotated[str, Form(max_length=16)],
    raised: Annotated[list[str] | None, Form()] = None,
    stage: Annotated[list[str] | None, Form()] = None,
    stage_days: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = _chosen(_teams(session, viewer), team)
    stages, days = stage or [], stage_days or []
    if len(stages) != len(days):
        return _page(request, session, viewer, team, 422, error="each stage needs its days field (blank: default)")
    change = RiskSettingsChange(
        raised=raised or [],
        no_activity_days=no_activity_days,
        close_date_moves=close_date_moves,
        advanced_percent=advanced_probability,
        stage_days=dict(zip(stages, days, strict=True)),
    )
    try:
        settings = change_risk_settings(session, chosen.id, change)
    except RiskSettingsRefused as exc:
        return _page(request, session, viewer, team, 422, error=str(exc))
    log_access(
        session,
        request,
        viewer,
        AuditAction.team_changed,
        f"team:{chosen.id}",
        changed="deal risk settings",
        settings=settings.model_dump(mode="json"),
    )
    return RedirectResponse(f"{PAGE}?team={quote(chosen.name)}&saved=true", status_code=303)
