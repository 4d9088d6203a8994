"""Admin: each team's CRM connections and their field maps, edited as YAML and checked as `callintel crm connect`
checks them (`crm_fill.adapters.parse_field_map`, then `services.crm_connections.set_field_map` against the team's
field schema). Secrets are never read here."""

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from crm_fill.adapters import FieldMapError, parse_field_map
from pipeline.db import CRMConnection
from pipeline.runtime import Runtime
from services.audit import AuditAction
from services.crm_connections import CRMConnectionError, list_connections, set_field_map
from web.access_log import log_access
from web.auth import Viewer
from web.deps import AdminViewer, RuntimeDep, SessionDep
from web.pages.admin_access import back, notice_of
from web.pages.render import render

router = APIRouter()


@router.get("/crm")
def crm_page(request: Request, viewer: AdminViewer, session: SessionDep) -> HTMLResponse:
    return render(request, viewer, "admin_crm.html", connections=list_connections(session))


def _map_page(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    connection_id: int,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    with runtime.db.session() as session:
        row = session.get(CRMConnection, connection_id)
        if row is None:
            raise HTTPException(404, f"no CRM connection {connection_id}")
        team, kind, url, stored = row.team.name, row.kind, row.url, row.field_map
    context.setdefault("text", yaml.safe_dump(stored, allow_unicode=True, sort_keys=False))
    return render(
        request,
        viewer,
        "admin_crm_map.html",
        status_code,
        connection_id=connection_id,
        team=team,
        kind=kind,
        url=url,
        **context,
    )


@router.get("/crm/{connection_id}")
def field_map_page(
    request: Request, viewer: AdminViewer, runtime: RuntimeDep, connection_id: int, notice: str | None = None
) -> Response:
    return _map_page(request, runtime, viewer, connection_id, notice=notice_of(notice))


@router.post("/crm/{connection_id}")
def save_field_map(
    request: Request,
    viewer: AdminViewer,
    runtime: RuntimeDep,
    connection_id: int,
    text: Annotated[str, Form(max_length=200_000)],
) -> Response:
    try:
        field_map = parse_field_map(text, "field map")
        with runtime.db.session() as session:
            set_field_map(session, runtime.settings, connection_id, field_map)
            log_access(session, request, viewer, AuditAction.crm_changed, f"crm:{connection_id}", changed="field map")
    except (FieldMapError, CRMConnectionError) as exc:
        return _map_page(request, runtime, viewer, connection_id, 422, error=str(exc), text=text)
    return back(f"/app/admin/crm/{connection_id}", "field_map_saved")
