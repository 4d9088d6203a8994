"""What the call and deal pages add for working together: the comments (with the form's limit) and, on a call,
the snippets shared from it."""

from typing import Any

from sqlalchemy.orm import Session

from pipeline.db import Call, Deal
from pipeline.redaction import redactor_for
from pipeline.runtime import Runtime
from services.collab.comments import MAX_COMMENT_CHARS, Subject, comments_on, shown_text
from services.collab.snippets import call_snippets


def call_collab(runtime: Runtime, call_id: str) -> dict[str, Any]:
    redactor = redactor_for(runtime.settings)
    with runtime.db.session() as session:
        call = session.get(Call, call_id)
        if call is None:
            return {}
        snippets = [
            {
                "id": s.id,
                "start_s": s.start_s,
                "end_s": s.end_s,
                "created_by": s.created_by,
                "note": shown_text(s.note, redactor),
            }
            for s in call_snippets(session, call_id)
        ]
        comments = comments_on(session, Subject(call=call), redactor)
    return {
        "comments": comments,
        "snippets": snippets,
        "comment_action": f"/app/calls/{call_id}/comments",
        "max_comment": MAX_COMMENT_CHARS,
    }


def deal_collab(runtime: Runtime, session: Session, deal: Deal) -> dict[str, Any]:
    return {
        "comments": comments_on(session, Subject(deal=deal), redactor_for(runtime.settings)),
        "comment_action": f"/app/deals/{deal.id}/comments",
        "max_comment": MAX_COMMENT_CHARS,
    }
