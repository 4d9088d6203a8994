"""Call snippets: a time range of a call shared as a link that plays that part with its transcript lines. The
link opens only for those who may see the call (the page checks, as for the call itself); sharing one sends a
`snippet.created` event to subscribers in the same transaction."""

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CallResult, Utterance
from models.collab import SnippetShared
from models.errors import BadInput
from pipeline.db import Call, CallSnippet, User
from pipeline.events import record_event
from redaction.redactor import Redactor
from services.collab.comments import shown_text

log = logging.getLogger(__name__)

SNIPPET_EVENT = "snippet.created"
MAX_SNIPPET_S = 600.0
MAX_NOTE_CHARS = 1000


class SnippetRefused(BadInput, ValueError):
    """A range that cannot be shared; `problem` names why for translated pages: bad_range, too_long, past_end or
    long_note."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def checked_range(start_s: float, end_s: float, duration_s: float | None) -> tuple[float, float]:
    """The range rounded to tenths of a second, or SnippetRefused saying what is wrong with it."""
    start, end = round(start_s, 1), round(end_s, 1)
    if not (0 <= start < end):
        raise SnippetRefused(
            "bad_range", f"the snippet must start at 0 s or later and end after it starts ({start}–{end})"
        )
    if end - start > MAX_SNIPPET_S:
        raise SnippetRefused("too_long", f"a snippet is at most {MAX_SNIPPET_S:.0f} s long")
    if duration_s is not None and start >= duration_s:
        raise SnippetRefused("past_end", f"the call is {duration_s:.1f} s long; the snippet starts after it ends")
    if duration_s is not None:
        end = min(end, round(duration_s, 1))
    return start, end


def share_snippet(
    session: Session,
    author: User,
    call: Call,
    start_s: float,
    end_s: float,
    note: str,
    duration_s: float | None,
    redactor: Redactor | None,
) -> CallSnippet:
    """Store a snippet of a call `author` may see (the caller checked) and announce it."""
    start, end = checked_range(start_s, end_s, duration_s)
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise SnippetRefused("long_note", f"the note is longer than {MAX_NOTE_CHARS} characters")
    snippet = CallSnippet(
        id=uuid.uuid4().hex,
        call_id=call.id,
        start_s=start,
        end_s=end,
        note=note,
        created_by_id=author.id,
        created_by=author.login,
        created_at=datetime.now(UTC),
    )
    session.add(snippet)
    session.flush()
    event = SnippetShared(
        snippet_id=snippet.id,
        call_id=call.id,
        start_s=start,
        end_s=end,
        note=shown_text(note, redactor),
        created_by=author.login,
        path=f"/app/snippets/{snippet.id}",
        at=snippet.created_at,
    )
    record_event(session, SNIPPET_EVENT, call.id, event)
    log.info("snippet shared", extra={"call_id": call.id, "snippet_id": snippet.id, "start_s": start, "end_s": end})
    return snippet


def call_snippets(session: Session, call_id: str) -> list[CallSnippet]:
    return list(
        session.scalars(select(CallSnippet).where(CallSnippet.call_id == call_id).order_by(CallSnippet.start_s))
    )


def snippet_lines(result: CallResult | None, start_s: float, end_s: float) -> list[Utterance]:
    """The transcript turns that overlap the snippet's range (from the result as the page shows it, redacted)."""
    if result is None:
        return []
    return [u for u in result.conversation.utterances if u.end > start_s and u.start < end_s]
