"""Admin: call scripts. A script comes as an uploaded YAML file or as text edited in the page; it is checked with
the same parser the pipeline uses (`scoring_scripts.loader.parse_script`) and, when valid, stored as a new version
under its own `id` and `version`. A script with an error is not stored: the page shows the parser's message."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from pipeline.db import StoredDocument
from pipeline.directory import DirectoryError, store_document, stored_document
from pipeline.runtime import Runtime
from scoring_scripts.loader import BUILTIN_SCRIPTS, SCRIPTS_DIR, ScriptError, parse_script
from services.audit import AuditAction
from web.access_log import log_access
from web.auth import Viewer
from web.deps import AdminViewer, RuntimeDep
from web.pages.admin_access import back, notice_of
from web.pages.render import render

router = APIRouter()

MAX_SCRIPT_BYTES = 1_000_000


def _versions(runtime: Runtime, name: str | None = None) -> list[StoredDocument]:
    query = select(StoredDocument).where(StoredDocument.kind == "script")
    if name is not None:
        query = query.where(StoredDocument.name == name)
    with runtime.db.session() as session:
        return list(session.scalars(query.order_by(StoredDocument.name, StoredDocument.created_at.desc())).all())


def _scripts_page(
    request: Request, runtime: Runtime, viewer: Viewer, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return render(
        request,
        viewer,
        "admin_scripts.html",
        status_code,
        versions=_versions(runtime),
        builtin=BUILTIN_SCRIPTS,
        **context,
    )


@router.get("/scripts")
def scripts_page(request: Request, viewer: AdminViewer, runtime: RuntimeDep, notice: str | None = None) -> HTMLResponse:
    return _scripts_page(request, runtime, viewer, notice=notice_of(notice), text="")


@router.get("/scripts/{name}")
def script_page(
    request: Request, viewer: AdminViewer, runtime: RuntimeDep, name: str, notice: str | None = None
) -> HTMLResponse:
    """The current version's text to edit: the latest stored one, else the built-in script of that name."""
    with runtime.db.session() as session:
        latest = stored_document(session, "script", name)
    if latest is not None:
        text = latest.body
    elif name in BUILTIN_SCRIPTS:
        text = (SCRIPTS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    else:
        raise HTTPException(404, f"no call script {name}")
    return _scripts_page(request, runtime, viewer, notice=notice_of(notice), text=text, name=name)


@router.post("/scripts")
async def store_script(
    request: Request,
    viewer: AdminViewer,
    runtime: RuntimeDep,
    text: Annotated[str, Form(max_length=MAX_SCRIPT_BYTES)] = "",
    upload: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    source = "text"
    if upload is not None and upload.filename:
        data = await upload.read(MAX_SCRIPT_BYTES + 1)
        if len(data) > MAX_SCRIPT_BYTES:
            too_big = f"{upload.filename}: over {MAX_SCRIPT_BYTES} bytes"
            return _scripts_page(request, runtime, viewer, 422, error=too_big, text="")
        source = upload.filename
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return _scripts_page(request, runtime, viewer, 422, error=f"{source}: not UTF-8 text", text="")
    try:
        if not text.strip():
            raise ScriptError(f"{source}: empty: give a YAML file or the script's text")
        script = parse_script(text, source)
        with runtime.db.session() as session:
            store_document(session, "script", script.id, script.version, text)
            log_access(
                session, request, viewer, AuditAction.script_changed, f"script:{script.id}", version=script.version
            )
    except (ScriptError, DirectoryError) as exc:
        return _scripts_page(request, runtime, viewer, 422, error=str(exc), text=text, name=name or None)
    return back(f"/app/admin/scripts/{script.id}", "script_stored")
