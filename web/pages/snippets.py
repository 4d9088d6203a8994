"""Shared call snippets: made from the call page, opened at /app/snippets/ID by those who may see the call (anyone
else gets 404, as for the call itself). The snippet plays its range of the call's audio (the call page's audio
route, with a media fragment) beside its transcript lines."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from pipeline.db import CallResultRow, CallSnippet
from pipeline.redaction import redactor_for
from services.audit import AuditAction
from services.collab.comments import shown_text
from services.collab.snippets import MAX_NOTE_CHARS, MAX_SNIPPET_S, SnippetRefused, share_snippet, snippet_lines
from web.access_log import log_access
from web.call_views import call_detail
from web.deps import PageViewer, RuntimeDep, SessionDep
from web.i18n import Translator
from web.pages.comments import viewer_user, visible_subject
from web.pages.render import render

router = APIRouter(include_in_schema=False)


def seconds(text: str) -> float:
    """A moment typed as seconds ("75", "75.5") or as m:ss / h:mm:ss ("1:15"); ValueError otherwise."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not part.strip() for part in parts):
        raise ValueError(text)
    total = 0.0
    for part in parts:
        value = float(part)
        if value < 0:
            raise ValueError(text)
        total = total * 60 + value
    return total


@router.post("/app/calls/{call_id}/snippets")
def share(
    call_id: str,
    viewer: PageViewer,
    runtime: RuntimeDep,
    session: SessionDep,
    start: Annotated[str, Form(max_length=16)],
    end: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=MAX_NOTE_CHARS * 4)] = "",
) -> Response:
    call = visible_subject(session, viewer, call_id=call_id).call
    assert call is not None
    translator = Translator(viewer.locale)
    duration = session.scalar(select(CallResultRow.duration_s).where(CallResultRow.call_id == call_id))
    try:
        start_s, end_s = seconds(start), seconds(end)
    except ValueError:
        raise HTTPException(422, translator.t("snippet_bad_time", start=start, end=end)) from None
    try:
        snippet = share_snippet(
            session,
            viewer_user(session, viewer),
            call,
            start_s,
            end_s,
            note,
            duration,
            redactor_for(runtime.settings),
        )
    except SnippetRefused as exc:
        message = translator.t(f"snippet_{exc.problem}", limit=int(MAX_SNIPPET_S), notes=MAX_NOTE_CHARS)
        raise HTTPException(422, message) from None
    return RedirectResponse(f"/app/snippets/{snippet.id}", status_code=303)


@router.get("/app/snippets/{snippet_id}")
def snippet_page(
    request: Request, snippet_id: str, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep
) -> HTMLResponse:
    snippet = session.get(CallSnippet, snippet_id)
    detail = call_detail(runtime, snippet.call_id, viewer.calls_filter()) if snippet is not None else None
    if snippet is None or detail is None:
        raise HTTPException(404, "no such snippet")
    log_access(session, request, viewer, AuditAction.call_opened, f"call:{snippet.call_id}", snippet=snippet.id)
    return render(
        request,
        viewer,
        "snippet.html",
        snippet=snippet,
        note=shown_text(snippet.note, redactor_for(runtime.settings)),
        detail=detail,
        lines=snippet_lines(detail.result, snippet.start_s, snippet.end_s),
        playable=detail.recording.purged_at is None,
    )
