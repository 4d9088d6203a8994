"""The pipeline review page for the weekly meeting (heads of sales for their team, admins for all; reps 403): the
deals that matter most by value × risk, and the notes the team writes for each deal at this review's date."""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.redaction import redactor_for
from services.collab.comments import MAX_COMMENT_CHARS, REVIEW_NOTE, CommentRefused, add_comment
from services.deals.views import deals_scope
from services.pipeline_review.review import RISK_WEIGHTS, pipeline_review
from web.deps import Manager, RuntimeDep, SessionDep
from web.i18n import Translator
from web.pages.comments import refused, viewer_user, visible_subject
from web.pages.render import render

router = APIRouter(include_in_schema=False)


def _review_date(text: str | None, translator: Translator) -> date:
    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, translator.t("review_bad_date", value=text)) from None


@router.get("/app/pipeline-review")
def review_page(
    request: Request, viewer: Manager, runtime: RuntimeDep, session: SessionDep, date: str | None = None
) -> HTMLResponse:
    review_date = _review_date(date, Translator(viewer.locale))
    scope = deals_scope(viewer.role, viewer.team_id, viewer.rep_id)
    groups = pipeline_review(runtime, session, scope, review_date)
    return render(
        request,
        viewer,
        "pipeline_review.html",
        groups=groups,
        review_date=review_date,
        weights=sorted(RISK_WEIGHTS.items(), key=lambda item: -item[1]),
        max_note=MAX_COMMENT_CHARS,
    )


@router.post("/app/pipeline-review/notes")
def add_note(
    viewer: Manager,
    runtime: RuntimeDep,
    session: SessionDep,
    deal_id: Annotated[int, Form()],
    review_date: Annotated[str, Form(max_length=10)],
    text: Annotated[str, Form(max_length=MAX_COMMENT_CHARS * 4)],
) -> Response:
    on = _review_date(review_date, Translator(viewer.locale))
    subject = visible_subject(session, viewer, deal_id=deal_id)
    try:
        written = add_comment(
            session,
            viewer_user(session, viewer),
            subject,
            text,
            redactor_for(runtime.settings),
            kind=REVIEW_NOTE,
            review_date=on,
        )
    except CommentRefused as exc:
        raise refused(viewer, exc) from None
    return RedirectResponse(f"/app/pipeline-review?date={on}#comment-{written.comment.id}", status_code=303)
