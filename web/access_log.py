"""One line for a page or route to put what its viewer did into the access audit log (`services.audit`)."""

from fastapi import Request
from sqlalchemy.orm import Session

from pipeline.runtime import Runtime
from services import audit
from web.auth import Viewer


def log_access(
    runtime: Runtime | Session, request: Request | None, viewer: Viewer, action: str, target: str = "", **detail: object
) -> None:
    """Record `action` by `viewer`: in the given session's transaction, or in one of its own given the runtime."""
    if viewer.user_id is None:
        # The deployment token or the open API acts for nobody in particular: say which.
        detail.setdefault("via", viewer.actor)
    ip = request.client.host if request is not None and request.client else None
    if isinstance(runtime, Session):
        audit.record(runtime, actor_id=viewer.user_id, action=action, target=target, detail=detail, ip=ip)
        return
    with runtime.db.session() as session:
        audit.record(session, actor_id=viewer.user_id, action=action, target=target, detail=detail, ip=ip)
