"""What every admin page shares: the one-word notices a page may show after a redirect. (Only admins get in:
`web.deps.AdminViewer`.)"""

from fastapi.responses import RedirectResponse

NOTICES = frozenset(
    {"user_added", "user_deactivated", "token_revoked", "team_saved", "script_stored", "field_map_saved"}
)


def notice_of(notice: str | None) -> str | None:
    return notice if notice in NOTICES else None


def back(path: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?notice={notice}", status_code=303)
