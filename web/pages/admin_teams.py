"""Admin: teams and the settings their calls are analysed with, saved through `pipeline.directory.save_team`
(which checks the script, field schema, summary template, time zone, language and recogniser). An emptied setting
goes back to the deployment's default. The recogniser for a team's Russian calls is chosen among those this
deployment can load (Whisper always; GigaAM and T-one once their weights are set)."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from crm_fill.schema import SCHEMAS_DIR
from pipeline.db import StoredDocument, Team
from pipeline.directory import DirectoryError, save_team
from pipeline.engines import RUSSIAN_MODEL_SETTINGS
from pipeline.runtime import Runtime
from scoring_scripts.loader import BUILTIN_SCRIPTS
from services.audit import AuditAction
from web.access_log import log_access
from web.auth import Viewer
from web.deps import AdminViewer, RuntimeDep, SessionDep
from web.pages.admin_access import back, notice_of
from web.pages.render import render

router = APIRouter()

SETTINGS = ("script", "fields", "summary_template", "timezone", "language", "recogniser")


def _choices(runtime: Runtime) -> dict[str, list[str]]:
    with runtime.db.session() as session:
        stored = session.execute(select(StoredDocument.kind, StoredDocument.name).distinct()).all()
    return {
        "script": ["auto", *BUILTIN_SCRIPTS, *sorted({name for kind, name in stored if kind == "script"})],
        "fields": sorted({p.stem for p in SCHEMAS_DIR.glob("*.yaml")} | {n for k, n in stored if k == "fields"}),
        "summary_template": ["discovery", "follow_up"],
    }


def _recognisers(runtime: Runtime, current: str | None) -> list[str]:
    """The recognisers a team may choose here: Whisper, those whose weights are set, and the team's own choice (a
    'gigaam:PATH' set from the command line stays selectable)."""
    settings = runtime.settings
    configured = [name for name, weights in RUSSIAN_MODEL_SETTINGS.items() if getattr(settings, weights)]
    return list(dict.fromkeys(["whisper", *configured, *([current] if current else [])]))


@router.get("/teams")
def teams_page(request: Request, viewer: AdminViewer, session: SessionDep, notice: str | None = None) -> HTMLResponse:
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    return render(request, viewer, "admin_teams.html", teams=teams, notice=notice_of(notice))


@router.post("/teams")
def add_team(
    request: Request, viewer: AdminViewer, session: SessionDep, name: Annotated[str, Form(max_length=128)]
) -> Response:
    name = name.strip()
    if not name or session.scalar(select(Team.id).where(Team.name == name)) is not None:
        teams = session.scalars(select(Team).order_by(Team.name)).all()
        key = "admin_teams_name_taken" if name else "admin_teams_name_needed"
        return render(request, viewer, "admin_teams.html", 422, teams=teams, error_key=key, name=name)
    team, _ = save_team(session, name)
    log_access(session, request, viewer, AuditAction.team_changed, f"team:{team.id}", added=name)
    return back(f"/app/admin/teams/{team.id}", "team_saved")


def _team_page(
    request: Request, runtime: Runtime, viewer: Viewer, team: Team, status_code: int = 200, **context: Any
) -> HTMLResponse:
    values = {key: getattr(team, key) or "" for key in SETTINGS}
    values["vocabulary"] = "\n".join(team.vocabulary or [])
    values.update(context.pop("values", {}))
    return render(
        request,
        viewer,
        "admin_team.html",
        status_code,
        team=team,
        values=values,
        choices=_choices(runtime),
        recognisers=_recognisers(runtime, team.recogniser),
        deployment_recogniser=runtime.settings.asr_russian_recogniser or "whisper",
        **context,
    )


@router.get("/teams/{team_id}")
def team_page(
    request: Request, viewer: AdminViewer, runtime: RuntimeDep, team_id: int, notice: str | None = None
) -> HTMLResponse:
    with runtime.db.session() as session:
        team = session.get(Team, team_id)
    if team is None:
        raise HTTPException(404, f"no team {team_id}")
    return _team_page(request, runtime, viewer, team, notice=notice_of(notice))


@router.post("/teams/{team_id}")
def save_team_settings(
    request: Request,
    viewer: AdminViewer,
    runtime: RuntimeDep,
    team_id: int,
    script: Annotated[str, Form(max_length=256)] = "",
    fields: Annotated[str, Form(max_length=256)] = "",
    summary_template: Annotated[str, Form(max_length=64)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    language: Annotated[str, Form(max_length=8)] = "",
    recogniser: Annotated[str, Form(max_length=1024)] = "",
    vocabulary: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    given = {
        "script": script.strip(),
        "fields": fields.strip(),
        "summary_template": summary_template.strip(),
        "timezone": timezone.strip(),
        "language": language.strip(),
        "recogniser": recogniser.strip(),
    }
    words = [word.strip() for word in re.split(r"[\n,]", vocabulary) if word.strip()]
    try:
        with runtime.db.session() as session:
            team = session.get(Team, team_id)
            if team is None:
                raise HTTPException(404, f"no team {team_id}")
            chosen = given["recogniser"]
            russian = chosen.partition(":")[0] in RUSSIAN_MODEL_SETTINGS
            if russian and chosen not in _recognisers(runtime, team.recogniser):
                raise DirectoryError(
                    f"recogniser: {chosen!r} cannot be loaded here: its weights are not set "
                    "(CALLINTEL_ASR_GIGAAM_MODEL, CALLINTEL_ASR_TONE_MODEL)"
                )
            changes = {key: value or None for key, value in given.items()}
            saved, _ = save_team(session, team.name, vocabulary=words, **changes)
            for key, value in changes.items():
                if value is None:
                    setattr(saved, key, None)
    except DirectoryError as exc:
        with runtime.db.session() as session:
            team = session.get(Team, team_id)
        assert team is not None
        values = {**given, "vocabulary": vocabulary}
        return _team_page(request, runtime, viewer, team, 422, error=str(exc), values=values)
    return back(f"/app/admin/teams/{team_id}", "team_saved")
