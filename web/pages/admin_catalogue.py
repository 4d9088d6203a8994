"""A team's product catalogue (heads of sales for their team, admins for any): products and their synonyms, which the
products CRM field is proposed from (services.catalogue)."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pipeline.db import Team
from pipeline.runtime import Runtime
from services.accounts import UserRole
from services.catalogue import CatalogueError, products, remove_product, set_product
from web.auth import Viewer
from web.deps import Manager, RuntimeDep
from web.i18n import Translator
from web.pages.render import render

router = APIRouter()


def _teams(runtime: Runtime, viewer: Viewer) -> list[str]:
    with runtime.db.session() as session:
        query = select(Team.name).order_by(Team.name)
        if viewer.role is not UserRole.admin:
            query = query.where(Team.id == viewer.team_id)
        return list(session.scalars(query).all())


def _page(
    request: Request, runtime: Runtime, viewer: Viewer, team: str | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    teams = _teams(runtime, viewer)
    team = team or (teams[0] if teams else None)
    if team is not None and team not in teams:
        raise HTTPException(404, f"no team {team}")
    with runtime.db.session() as session:
        listed = products(session, team) if team else []
    return render(
        request, viewer, "admin_catalogue.html", status_code, teams=teams, team=team, products=listed, **context
    )


def _allowed(runtime: Runtime, viewer: Viewer, team: str) -> None:
    if team not in _teams(runtime, viewer):
        raise HTTPException(404, f"no team {team}")


@router.get("/catalogue")
def catalogue_page(request: Request, viewer: Manager, runtime: RuntimeDep, team: str | None = None) -> HTMLResponse:
    return _page(request, runtime, viewer, team)


@router.post("/catalogue")
def catalogue_set(
    request: Request,
    viewer: Manager,
    runtime: RuntimeDep,
    team: Annotated[str, Form(max_length=128)],
    name: Annotated[str, Form(max_length=1024)] = "",
    synonyms: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    _allowed(runtime, viewer, team)
    try:
        with runtime.db.session() as session:
            set_product(session, team, name, synonyms.split(","))
    except CatalogueError as exc:
        problem = Translator(viewer.locale).t(f"catalogue_refused_{exc.problem}")
        return _page(request, runtime, viewer, team, 422, problem=problem, name=name, synonyms=synonyms)
    return RedirectResponse(f"/app/admin/catalogue?team={quote(team)}", status_code=303)


@router.post("/catalogue/remove")
def catalogue_remove(
    request: Request,
    viewer: Manager,
    runtime: RuntimeDep,
    team: Annotated[str, Form(max_length=128)],
    name: Annotated[str, Form(max_length=1024)],
) -> Response:
    _allowed(runtime, viewer, team)
    try:
        with runtime.db.session() as session:
            remove_product(session, team, name)
    except CatalogueError as exc:
        problem = Translator(viewer.locale).t(f"catalogue_refused_{exc.problem}")
        return _page(request, runtime, viewer, team, 422, problem=problem)
    return RedirectResponse(f"/app/admin/catalogue?team={quote(team)}", status_code=303)
