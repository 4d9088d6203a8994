"""The deal pages: the deals at risk, one deal in full, and a call's deal (linked by hand where the rules found
none or several).

A rep sees the deals they own, a head of sales their team's, an admin all; a deal someone may not see answers 404,
as one that does not exist. Linking a call by hand needs both the call and the deal to be visible.
"""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import ColumnElement, select

from models import CallInfo
from pipeline.db import Call, CRMStage, Deal, DealCall
from services.deals.linking import link_by_hand, phone_candidates, unlink_by_hand
from services.deals.views import MOMENT_FIELDS, deal_page, deals_at_risk, deals_scope
from web.auth import Viewer
from web.deps import PageViewer, RuntimeDep, SessionDep
from web.pages import deals_admin, deals_risk_settings
from web.pages.collab_context import deal_collab
from web.pages.render import render

router = APIRouter(include_in_schema=False)
router.include_router(deals_admin.router)
# Before /app/deals/{deal_id}, which would otherwise take /app/deals/risk-settings for a deal id.
router.include_router(deals_risk_settings.router)


def _scope(viewer: Viewer) -> ColumnElement[bool] | None:
    return deals_scope(viewer.role, viewer.team_id, viewer.rep_id)


@router.get("/app/deals/at-risk")
def at_risk_page(request: Request, viewer: PageViewer, session: SessionDep) -> HTMLResponse:
    return render(request, viewer, "deals_at_risk.html", deals=deals_at_risk(session, _scope(viewer)))


@router.get("/app/deals/{deal_id}")
def deal(request: Request, deal_id: int, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep) -> HTMLResponse:
    page = deal_page(runtime, session, deal_id, _scope(viewer))
    if page is None:
        raise HTTPException(404, "no such deal")
    collab = deal_collab(runtime, session, page.deal)
    return render(request, viewer, "deal.html", page=page, labelled=MOMENT_FIELDS, **collab)


def _visible_call(session: SessionDep, viewer: Viewer, call_id: str) -> Call:
    call = session.get(Call, call_id)
    if call is None or not viewer.sees(call):
        raise HTTPException(404, "no such call")
    return call


def _visible_deals(session: SessionDep, viewer: Viewer, ids: list[int]) -> list[tuple[Deal, str | None]]:
    query = (
        select(Deal, CRMStage.name)
        .outerjoin(CRMStage, CRMStage.id == Deal.stage_id)
        .where(Deal.id.in_(ids), Deal.deleted.is_(False))
    )
    scope = _scope(viewer)
    return [(deal, stage) for deal, stage in session.execute(query.where(scope) if scope is not None else query)]


def _call_deal_page(
    request: Request, session: SessionDep, viewer: Viewer, call: Call, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    link = session.get(DealCall, call.id)
    linked = _visible_deals(session, viewer, [link.deal_id]) if link else []
    candidates = [] if link else _visible_deals(session, viewer, phone_candidates(session, CallInfo(**call.info)))
    return render(
        request,
        viewer,
        "call_deal.html",
        status_code,
        call=call,
        link=link,
        linked=linked[0] if linked else None,
        candidates=candidates,
        error=error,
    )


@router.get("/app/calls/{call_id}/deal")
def call_deal(request: Request, call_id: str, viewer: PageViewer, session: SessionDep) -> HTMLResponse:
    return _call_deal_page(request, session, viewer, _visible_call(session, viewer, call_id))


@router.post("/app/calls/{call_id}/deal")
def link_call_deal(
    request: Request,
    call_id: str,
    viewer: PageViewer,
    session: SessionDep,
    deal_id: Annotated[int | None, Form()] = None,
    external_id: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    call = _visible_call(session, viewer, call_id)
    if deal_id is None and external_id.strip():
        deal_id = session.scalar(
            select(Deal.id).where(Deal.external_id == external_id.strip(), Deal.deleted.is_(False)).order_by(Deal.id)
        )
    found = _visible_deals(session, viewer, [deal_id]) if deal_id is not None else []
    if not found:
        return _call_deal_page(request, session, viewer, call, 422, error="call_deal_not_found")
    link_by_hand(session, call.id, found[0][0].id, viewer.actor)
    return RedirectResponse(f"/app/calls/{call.id}/deal", status_code=303)


@router.post("/app/calls/{call_id}/deal/unlink")
def unlink_call_deal(call_id: str, viewer: PageViewer, session: SessionDep) -> Response:
    call = _visible_call(session, viewer, call_id)
    unlink_by_hand(session, call.id)
    return RedirectResponse(f"/app/calls/{call.id}/deal", status_code=303)
