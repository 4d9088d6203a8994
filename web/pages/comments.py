"""Comments on calls and deals, and a person's mentions inbox.

Commenting on a call or a deal needs the right to see it (a call or deal someone may not see answers 404, as a
missing one); only a comment's author edits or deletes it. A mention notifies only people who may see what the
comment is on.
"""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db import Call, Comment, CommentMention, Deal, User
from pipeline.redaction import redactor_for
from pipeline.runtime import Runtime
from services.collab.access import user_sees_call, user_sees_deal
from services.collab.comments import (
    MAX_COMMENT_CHARS,
    CommentLine,
    CommentRefused,
    Subject,
    add_comment,
    comments_on,
    delete_comment,
    edit_comment,
    shown_text,
)
from web.auth import Viewer
from web.deps import PageViewer, RuntimeDep, SessionDep
from web.i18n import Translator
from web.pages.render import render

router = APIRouter(include_in_schema=False)
INBOX_LIMIT = 100

CommentText = Annotated[str, Form(max_length=MAX_COMMENT_CHARS * 4)]


def viewer_user(session: Session, viewer: Viewer) -> User:
    user = session.get(User, viewer.user_id) if viewer.user_id is not None else None
    if user is None:
        raise HTTPException(403, "comments are written by a signed-in person")
    return user


def visible_subject(
    session: Session, viewer: Viewer, call_id: str | None = None, deal_id: int | None = None
) -> Subject:
    """The call or deal if the viewer may see it; 404 otherwise."""
    user = viewer_user(session, viewer)
    if call_id is not None:
        call = session.get(Call, call_id)
        if call is not None and user_sees_call(user, call):
            return Subject(call=call)
        raise HTTPException(404, "no such call")
    deal = session.get(Deal, deal_id)
    if deal is not None and user_sees_deal(user, deal):
        return Subject(deal=deal)
    raise HTTPException(404, "no such deal")


def refused(viewer: Viewer, exc: CommentRefused) -> HTTPException:
    message = Translator(viewer.locale).t(f"comment_{exc.problem}", limit=MAX_COMMENT_CHARS)
    return HTTPException(404 if exc.problem == "not_found" else 403 if exc.problem == "not_yours" else 422, message)


def subject_comments(runtime: Runtime, session: Session, subject: Subject) -> list[CommentLine]:
    """What the call or deal page shows under "Comments"."""
    return comments_on(session, subject, redactor_for(runtime.settings))


def _written(subject: Subject, comment_id: int) -> Response:
    return RedirectResponse(f"{subject.path}#comment-{comment_id}", status_code=303)


def _comment(subject: Subject, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep, text: str) -> Response:
    try:
        written = add_comment(session, viewer_user(session, viewer), subject, text, redactor_for(runtime.settings))
    except CommentRefused as exc:
        raise refused(viewer, exc) from None
    return _written(subject, written.comment.id)


@router.post("/app/calls/{call_id}/comments")
def comment_on_call(
    call_id: str, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep, text: CommentText
) -> Response:
    return _comment(visible_subject(session, viewer, call_id=call_id), viewer, runtime, session, text)


@router.post("/app/deals/{deal_id}/comments")
def comment_on_deal(
    deal_id: int, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep, text: CommentText
) -> Response:
    return _comment(visible_subject(session, viewer, deal_id=deal_id), viewer, runtime, session, text)


def _own_subject(session: Session, viewer: Viewer, comment_id: int) -> Subject:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise HTTPException(404, "no such comment")
    return visible_subject(session, viewer, call_id=comment.call_id, deal_id=comment.deal_id)


@router.post("/app/comments/{comment_id}/edit")
def edit(comment_id: int, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep, text: CommentText) -> Response:
    subject = _own_subject(session, viewer, comment_id)
    try:
        edit_comment(session, viewer_user(session, viewer), comment_id, text, redactor_for(runtime.settings))
    except CommentRefused as exc:
        raise refused(viewer, exc) from None
    return _written(subject, comment_id)


@router.post("/app/comments/{comment_id}/delete")
def delete(comment_id: int, viewer: PageViewer, session: SessionDep) -> Response:
    subject = _own_subject(session, viewer, comment_id)
    try:
        delete_comment(session, viewer_user(session, viewer), comment_id)
    except CommentRefused as exc:
        raise refused(viewer, exc) from None
    return RedirectResponse(f"{subject.path}#comments", status_code=303)


@router.get("/app/mentions")
def mentions(request: Request, viewer: PageViewer, runtime: RuntimeDep, session: SessionDep) -> HTMLResponse:
    """The comments that mention the viewer, newest first, on the calls and deals they may still see."""
    user = viewer_user(session, viewer)
    redactor = redactor_for(runtime.settings)
    rows = session.execute(
        select(Comment, Call, Deal)
        .join(CommentMention, CommentMention.comment_id == Comment.id)
        .outerjoin(Call, Call.id == Comment.call_id)
        .outerjoin(Deal, Deal.id == Comment.deal_id)
        .where(CommentMention.user_id == user.id)
        .order_by(CommentMention.created_at.desc(), Comment.id.desc())
        .limit(INBOX_LIMIT)
    ).all()
    lines = []
    for comment, call, deal in rows:
        subject = Subject(call=call) if call is not None else Subject(deal=deal)
        if subject.seen_by(user):
            lines.append({"comment": comment, "text": shown_text(comment.text, redactor), "subject": subject})
    return render(request, viewer, "mentions.html", lines=lines)
