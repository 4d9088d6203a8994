"""Comments on calls and deals: written, edited and deleted by their author only, each mention of a person who
may see the call or deal stored for their inbox and sent to subscribers as a `comment.mention` event in the same
transaction. A review note is a comment of kind `review_note` on a deal, dated by its pipeline review."""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from models.collab import CommentMentioned
from models.errors import BadInput
from pipeline.db import Call, Comment, CommentMention, Deal, User
from pipeline.events import record_event
from redaction.redactor import Redactor
from services.collab.access import user_sees_call, user_sees_deal
from services.collab.mentions import resolve_mentions

log = logging.getLogger(__name__)
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)

MENTION_EVENT = "comment.mention"
MAX_COMMENT_CHARS = 4000
COMMENT = "comment"
REVIEW_NOTE = "review_note"


class CommentRefused(BadInput, ValueError):
    """A comment that cannot be stored or changed; `problem` names why for translated pages: empty, too_long,
    not_found or not_yours."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class Subject:
    """What a comment is on: one call or one deal."""

    call: Call | None = None
    deal: Deal | None = None

    @property
    def path(self) -> str:
        if self.call is not None:
            return f"/app/calls/{self.call.id}"
        assert self.deal is not None
        return f"/app/deals/{self.deal.id}"

    def seen_by(self, user: User) -> bool:
        if self.call is not None:
            return user_sees_call(user, self.call)
        return self.deal is not None and user_sees_deal(user, self.deal)

    def comments(self) -> ColumnElement[bool]:
        """The condition on `comments` rows about this subject."""
        if self.call is not None:
            return Comment.call_id == self.call.id
        assert self.deal is not None
        return Comment.deal_id == self.deal.id


@dataclass
class Written:
    """A stored comment, who it notified and the mentions that notified nobody (unknown, or not allowed to see)."""

    comment: Comment
    notified: list[str] = field(default_factory=list)
    not_notified: list[str] = field(default_factory=list)


def shown_text(text: str, redactor: Redactor | None) -> str:
    """A comment as pages and events show it: personal data redacted, read as Russian when it has Cyrillic."""
    if redactor is None:
        return text
    return redactor.text(text, "ru" if _CYRILLIC.search(text) else "en")


def _checked(text: str) -> str:
    text = text.strip()
    if not text:
        raise CommentRefused("empty", "the comment is empty")
    if len(text) > MAX_COMMENT_CHARS:
        raise CommentRefused("too_long", f"the comment is longer than {MAX_COMMENT_CHARS} characters")
    return text


def _subject(session: Session, comment: Comment) -> Subject:
    if comment.call_id is not None:
        return Subject(call=session.get(Call, comment.call_id))
    return Subject(deal=session.get(Deal, comment.deal_id))


def _notify(session: Session, comment: Comment, subject: Subject, redactor: Redactor | None) -> Written:
    """Mentions of people not yet notified of this comment: stored and sent."""
    written = Written(comment)
    people, written.not_notified = resolve_mentions(comment.text, session.scalars(select(User)))
    already = set(session.scalars(select(CommentMention.user_id).where(CommentMention.comment_id == comment.id)))
    text = shown_text(comment.text, redactor)
    for user in people:
        if user.id == comment.author_id or user.id in already:
            continue
        if not subject.seen_by(user):
            written.not_notified.append(user.login)
            continue
        session.add(CommentMention(comment_id=comment.id, user_id=user.id))
        event = CommentMentioned(
            comment_id=comment.id,
            call_id=comment.call_id,
            deal_id=comment.deal_id,
            author=comment.author,
            mentioned=user.login,
            text=text,
            path=f"{subject.path}#comment-{comment.id}",
            at=datetime.now(UTC),
        )
        record_event(session, MENTION_EVENT, comment.call_id, event)
        written.notified.append(user.login)
    log.info(
        "comment mentions",
        extra={
            "comment_id": comment.id,
            "call_id": comment.call_id,
            "deal_id": comment.deal_id,
            "notified": written.notified,
            "not_notified": written.not_notified,
        },
    )
    return written


def add_comment(
    session: Session,
    author: User,
    subject: Subject,
    text: str,
    redactor: Redactor | None,
    *,
    kind: str = COMMENT,
    review_date: date | None = None,
) -> Written:
    """Store a comment by `author` on the subject (which the caller has checked they may see) and notify the
    people it mentions."""
    comment = Comment(
        call_id=subject.call.id if subject.call is not None else None,
        deal_id=subject.deal.id if subject.deal is not None else None,
        kind=kind,
        review_date=review_date,
        author_id=author.id,
        author=author.login,
        text=_checked(text),
    )
    session.add(comment)
    session.flush()
    return _notify(session, comment, subject, redactor)


def _own(session: Session, author: User, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise CommentRefused("not_found", f"no comment {comment_id}")
    if comment.author_id != author.id:
        raise CommentRefused("not_yours", "only its author may change a comment")
    return comment


def edit_comment(session: Session, author: User, comment_id: int, text: str, redactor: Redactor | None) -> Written:
    """The author's new text; people it newly mentions are notified, those mentioned before are not again."""
    comment = _own(session, author, comment_id)
    comment.text = _checked(text)
    comment.edited_at = datetime.now(UTC)
    session.flush()
    return _notify(session, comment, _subject(session, comment), redactor)


def delete_comment(session: Session, author: User, comment_id: int) -> None:
    """The author's comment removed with its mentions."""
    session.delete(_own(session, author, comment_id))
    session.flush()


@dataclass(frozen=True)
class CommentLine:
    id: int
    author: str
    author_id: int | None
    text: str
    created_at: datetime
    edited_at: datetime | None
    review_date: date | None


def _line(comment: Comment, redactor: Redactor | None) -> CommentLine:
    return CommentLine(
        comment.id,
        comment.author,
        comment.author_id,
        shown_text(comment.text, redactor),
        comment.created_at,
        comment.edited_at,
        comment.review_date,
    )


def comments_on(
    session: Session, subject: Subject, redactor: Redactor | None, kind: str = COMMENT
) -> list[CommentLine]:
    """A call's or deal's comments of one kind, oldest first, redacted as pages show personal data."""
    query = select(Comment).where(subject.comments(), Comment.kind == kind).order_by(Comment.created_at, Comment.id)
    return [_line(comment, redactor) for comment in session.scalars(query)]


def review_notes(
    session: Session, deal_ids: list[int], review_date: date, redactor: Redactor | None
) -> dict[int, list[CommentLine]]:
    """The notes written at one review, by deal."""
    notes: dict[int, list[CommentLine]] = {}
    for comment in session.scalars(
        select(Comment)
        .where(Comment.kind == REVIEW_NOTE, Comment.deal_id.in_(deal_ids), Comment.review_date == review_date)
        .order_by(Comment.created_at, Comment.id)
    ):
        if comment.deal_id is not None:
            notes.setdefault(comment.deal_id, []).append(_line(comment, redactor))
    return notes
