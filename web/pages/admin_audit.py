"""Admin: the access audit log, filtered by user, action, call and dates, a page at a time; its CSV and JSONL
exports; and a check of the hash chain."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import User
from services import audit
from services.audit import AuditAction
from services.audit_views import AuditFilter, audit_page, export_csv, export_jsonl
from web.auth import Viewer
from web.deps import AdminViewer, SessionDep
from web.i18n import Translator
from web.pages.render import render

router = APIRouter()
ACTION_GROUPS = ("sign_in", "mfa", "call", "export", "script", "user", "team", "crm")
Text = Annotated[str, Query(max_length=64)]


class FilterError(BadInput, ValueError):
    pass


def _filter(user: str, action: str, call: str, since: str, until: str) -> AuditFilter:
    try:
        return AuditFilter(
            actor_id=int(user) if user else None,
            action=action.strip() or None,
            call_id=call.strip() or None,
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
        )
    except ValueError as exc:
        raise FilterError(f"a user is a number and dates are YYYY-MM-DD: {exc}") from None


def _page(
    request: Request,
    session: Session,
    viewer: Viewer,
    chosen: AuditFilter,
    page: int,
    status_code: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    shown = audit_page(session, chosen, page)
    users = session.execute(select(User.id, User.login).order_by(User.login)).all()
    query = {
        key: value
        for key, value in request.query_params.items()
        if key in ("user", "action", "call", "since", "until") and value
    }
    return render(
        request,
        viewer,
        "admin_audit.html",
        status_code,
        shown=shown,
        users=users,
        groups=ACTION_GROUPS,
        actions=sorted(value for key, value in vars(AuditAction).items() if not key.startswith("_")),
        query=query,
        **ctx,
    )


@router.get("/audit")
def audit_log_page(
    request: Request,
    viewer: AdminViewer,
    session: SessionDep,
    user: Text = "",
    action: Text = "",
    call: Text = "",
    since: Text = "",
    until: Text = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    try:
        chosen = _filter(user, action, call, since, until)
    except FilterError as exc:
        return _page(request, session, viewer, AuditFilter(), 1, 422, error=str(exc))
    return _page(request, session, viewer, chosen, page)


@router.post("/audit/verify")
def verify_chain(request: Request, viewer: AdminViewer, session: SessionDep) -> HTMLResponse:
    checked = audit.verify(session)
    translator = Translator(viewer.locale)
    if checked.intact:
        chain = translator.t("audit_chain_ok", n=checked.checked)
    else:
        chain = translator.t("audit_chain_broken", id=checked.broken_id, reason=checked.reason)
    return _page(request, session, viewer, AuditFilter(), 1, chain=chain, chain_ok=checked.intact)


@router.get("/audit/export.{kind}")
def export_audit(
    request: Request,
    viewer: AdminViewer,
    session: SessionDep,
    kind: str,
    user: Text = "",
    action: Text = "",
    call: Text = "",
    since: Text = "",
    until: Text = "",
) -> Response:
    if kind not in ("csv", "jsonl"):
        return Response("the audit log exports as .csv or .jsonl", status_code=404, media_type="text/plain")
    try:
        chosen = _filter(user, action, call, since, until)
    except FilterError as exc:
        return Response(str(exc), status_code=422, media_type="text/plain")
    text = export_csv(session, chosen) if kind == "csv" else export_jsonl(session, chosen)
    audit.record(
        session,
        actor_id=viewer.user_id,
        action=AuditAction.export_audit,
        detail={"format": kind, **{key: value for key, value in vars(chosen).items() if value is not None}},
        ip=request.client.host if request.client else None,
    )
    media = "text/csv; charset=utf-8" if kind == "csv" else "application/x-ndjson; charset=utf-8"
    return Response(
        text.encode("utf-8"),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit-log.{kind}"'},
    )
