"""The calls list and the call page: transcript, summary, metrics, deal gaps, the scorecard and its overrides."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from models import CallInfo, CallStatus
from pipeline.db import Call, CallResultRow, Rep
from pipeline.redaction import redactor_for
from pipeline.runtime import Runtime
from services.accounts import UserRole
from services.audit import AuditAction
from services.overrides import MAX_REASON_CHARS, OVERRIDE_ANSWERS, OverrideRefused, override_item
from web.access_log import log_access
from web.auth import Viewer
from web.call_views import list_calls
from web.deps import Manager, PageViewer, RuntimeDep
from web.i18n import Translator
from web.pages.call_view import analysed_scorecard, call_page_view, customer_number, shown_number
from web.pages.collab_context import call_collab
from web.pages.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25


def _day(text: str | None, translator: Translator, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(translator.t("call_bad_date", value=text))
        return None


def _reps(runtime: Runtime, viewer: Viewer) -> list[tuple[int, str]]:
    """The reps whose calls the viewer may filter by: none for a rep (they see only their own)."""
    if viewer.role is UserRole.rep:
        return []
    query = select(Rep.id, Rep.name).order_by(Rep.name)
    if viewer.role is UserRole.rop:
        query = query.where(Rep.team_id == viewer.team_id)
    with runtime.db.session() as session:
        return [(rep_id, name) for rep_id, name in session.execute(query).all()]


@router.get("/app/calls")
def calls_page(
    request: Request,
    viewer: PageViewer,
    runtime: RuntimeDep,
    since: str | None = None,
    until: str | None = None,
    rep: str | None = None,
    status: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    translator = Translator(viewer.locale)
    errors: list[str] = []
    first_day, last_day = _day(since, translator, errors), _day(until, translator, errors)
    chosen_status = status if status in CallStatus.__members__ else None
    rep_id = int(rep) if rep and rep.isdigit() else None
    with runtime.db.session() as session:
        found = list_calls(
            session,
            status=CallStatus(chosen_status) if chosen_status else None,
            rep_id=rep_id,
            since=datetime.combine(first_day, time(), UTC) if first_day else None,
            until=datetime.combine(last_day + timedelta(days=1), time(), UTC) if last_day else None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            visible=viewer.calls_filter(),
        )
        extra = {
            call_id: (info, duration)
            for call_id, info, duration in session.execute(
                select(Call.id, Call.info, CallResultRow.duration_s)
                .outerjoin(CallResultRow, CallResultRow.call_id == Call.id)
                .where(Call.id.in_([call.id for call in found.calls]))
            ).all()
        }
    rows = []
    for call in found.calls:
        info_json, duration = extra[call.id]
        info = CallInfo.model_validate(info_json)
        redactor = redactor_for(runtime.settings, info)
        number = shown_number(customer_number(info), redactor, info.language or "ru")
        rows.append({"call": call, "number": number, "duration": duration})
    filters = {"since": since or "", "until": until or "", "rep": rep_id or "", "status": chosen_status or ""}
    query = {key: value for key, value in filters.items() if value}
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render(
        request,
        viewer,
        "calls.html",
        422 if errors else 200,
        rows=rows,
        total=found.total,
        page=page,
        pages=pages,
        previous_url=f"/app/calls?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        next_url=f"/app/calls?{urlencode({**query, 'page': page + 1})}" if page < pages else None,
        filters=filters,
        reps=_reps(runtime, viewer),
        statuses=list(CallStatus),
        errors=errors,
    )


def _call_page(
    request: Request, runtime: Runtime, viewer: Viewer, call_id: str, status_code: int = 200, **context: Any
) -> Response:
    view = call_page_view(runtime, viewer, call_id)
    if view is None:
        raise HTTPException(404, "no such call")
    return render(
        request,
        viewer,
        "call.html",
        status_code,
        view=view,
        detail=view.call,
        result=view.result,
        override_answers=OVERRIDE_ANSWERS,
        max_reason=MAX_REASON_CHARS,
        **call_collab(runtime, call_id),
        **context,
    )


@router.get("/app/calls/{call_id}")
def call_page(request: Request, call_id: str, viewer: PageViewer, runtime: RuntimeDep) -> Response:
    response = _call_page(request, runtime, viewer, call_id)
    log_access(runtime, request, viewer, AuditAction.call_opened, f"call:{call_id}")
    return response


@router.post("/app/calls/{call_id}/items/{item_id}/override")
def override(
    request: Request,
    call_id: str,
    item_id: str,
    viewer: Manager,
    runtime: RuntimeDep,
    answer: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=MAX_REASON_CHARS * 4)] = "",
) -> Response:
    visible = viewer.calls_filter()
    conditions = [Call.id == call_id] if visible is None else [Call.id == call_id, visible]
    with runtime.db.session() as session:
        if session.scalar(select(Call.id).where(*conditions)) is None:
            raise HTTPException(404, "no such call")
    scorecard = analysed_scorecard(runtime, call_id)
    if scorecard is None:
        raise HTTPException(409, "the call has no scorecard yet")
    translator = Translator(viewer.locale)
    try:
        with runtime.db.session() as session:
            override_item(
                session, call_id, scorecard, item_id, answer, reason, user_id=viewer.user_id, actor=viewer.actor
            )
    except OverrideRefused as exc:
        error = {"item_id": item_id, "message": translator.t(f"call_override_{exc.problem}", limit=MAX_REASON_CHARS)}
        return _call_page(request, runtime, viewer, call_id, 422, override_error=error, reason_text=reason)
    return RedirectResponse(f"/app/calls/{call_id}#item-{item_id}", status_code=303)
