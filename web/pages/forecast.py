"""The forecast page: the open deals expected to close in a period by category, each with what its calls
suggest, and the form that overrides a deal's category with a reason.

A rep sees and overrides their own deals, a head of sales their team's, an admin any team's; another's deal
answers 404 to an override.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.db import Deal
from services.pipeline_review.forecast import (
    AUTO,
    Category,
    DealNotVisible,
    Overrider,
    OverrideRefused,
    forecast,
    override_category,
)
from services.pipeline_review.kpis import team_currency
from services.pipeline_review.targets import Target, target_for
from web.deps import PageViewer, SessionDep
from web.i18n import Translator
from web.pages.kpis import PipelineScope, number_format, pipeline_scope
from web.pages.render import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    scope: PipelineScope,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    target: Target | None = target_for(session, scope.team.id, scope.period)
    currency = team_currency(session, scope.team.id, target.currency if target else None)
    condition = Deal.team_id == scope.team.id
    if scope.rep_id is not None:
        condition = condition & (Deal.rep_id == scope.rep_id)
    found = forecast(session, condition, scope.period.start, scope.period.end, currency, datetime.now(UTC))
    return render(
        request,
        viewer,
        "forecast.html",
        status_code,
        scope=scope,
        forecast=found,
        target=target,
        categories=list(Category),
        auto=AUTO,
        num=number_format(viewer.locale),
        error=error,
    )


@router.get("/app/pipeline/forecast")
def forecast_page(
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    team: int | None = None,
    rep: int | None = None,
    period: str | None = None,
) -> HTMLResponse:
    return _page(request, viewer, session, pipeline_scope(session, viewer, team, rep, period))


@router.post("/app/pipeline/forecast/{deal_id}")
def override(
    request: Request,
    deal_id: int,
    viewer: PageViewer,
    session: SessionDep,
    category: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    rep: Annotated[int | None, Form()] = None,
    period: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    who = Overrider(
        viewer.role,
        viewer.actor,
        viewer.user_id,
        viewer.team_id,
        viewer.rep_id,
        request.client.host if request.client else None,
    )
    try:
        row = override_category(session, deal_id, category, reason, who)
    except DealNotVisible:
        raise HTTPException(404, "no such deal") from None
    except OverrideRefused as exc:
        deal = session.get(Deal, deal_id)
        scope = pipeline_scope(session, viewer, deal.team_id if deal else None, rep, period or None)
        error = Translator(viewer.locale).t("forecast_reason_needed") if not reason.strip() else str(exc)
        return _page(request, viewer, session, scope, 422, error=error)
    deal = session.get(Deal, row.deal_id)
    scope = pipeline_scope(session, viewer, deal.team_id if deal else None, rep, period or None)
    return RedirectResponse(f"/app/pipeline/forecast?{scope.query}#deal-{row.deal_id}", status_code=303)
