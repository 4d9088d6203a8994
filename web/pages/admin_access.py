"""What every admin page shares: only admins get in (403 for the others), and the one-word notices a page may show
after a redirect."""

from typing import Annotated

from fastapi import Depends
from fastapi.responses import RedirectResponse

from services.accounts import UserRole
from web.auth import Viewer, require_role

AdminViewer = Annotated[Viewer, Depends(require_role(UserRole.admin))]

NOTICES = frozenset(
    {"user_added", "user_deactivated", "token_revoked", "team_saved", "script_stored", "field_map_saved"}
)


def notice_of(notice: str | None) -> str | None:
    return notice if notice in NOTICES else None


def back(path: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?notice={notice}", status_code=303)
