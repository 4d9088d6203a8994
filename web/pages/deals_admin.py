"""Admin: CRM users mapped to reps by hand (those mapped by e-mail are shown as such) and each pipeline's stages
mapped to open, won or lost with a default probability and, if set, a forecast category."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pipeline.db import Rep
from services.deals.mapping import MappingRefused, map_stage, map_user, users_and_stages
from services.pipeline_review.forecast import OverrideRefused, set_stage_category
from web.auth import Viewer
from web.deps import AdminViewer, SessionDep
from web.pages.render import render

router = APIRouter(prefix="/app/admin/deals", include_in_schema=False)
PAGE = "/app/admin/deals"


def _page(
    request: Request, viewer: Viewer, session: SessionDep, status: int = 200, error: str | None = None
) -> HTMLResponse:
    users, pipelines = users_and_stages(session)
    reps = session.execute(select(Rep.id, Rep.name).order_by(Rep.name)).all()
    return render(request, viewer, "admin_deals.html", status, users=users, pipelines=pipelines, reps=reps, error=error)


@router.get("")
def mapping_page(request: Request, viewer: AdminViewer, session: SessionDep) -> HTMLResponse:
    return _page(request, viewer, session)


@router.post("/users/{user_id}")
def save_user_mapping(
    request: Request,
    user_id: int,
    viewer: AdminViewer,
    session: SessionDep,
    rep_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        map_user(session, user_id, int(rep_id) if rep_id.strip() else None)
    except (MappingRefused, ValueError) as exc:
        return _page(request, viewer, session, 422, str(exc))
    return RedirectResponse(PAGE, status_code=303)


@router.post("/stages/{stage_id}")
def save_stage_mapping(
    request: Request,
    stage_id: int,
    viewer: AdminViewer,
    session: SessionDep,
    outcome: Annotated[str, Form()],
    probability: Annotated[str, Form()] = "",
    forecast_category: Annotated[str | None, Form(max_length=16)] = None,
) -> Response:
    try:
        percent = float(probability.replace(",", ".")) if probability.strip() else None
        map_stage(session, stage_id, outcome, percent / 100 if percent is not None else None)
        if forecast_category is not None:
            # Empty: the category follows the probability (docs/pipeline.md#forecast).
            set_stage_category(session, stage_id, forecast_category or None)
    except (MappingRefused, OverrideRefused, ValueError) as exc:
        return _page(request, viewer, session, 422, str(exc))
    return RedirectResponse(PAGE, status_code=303)
