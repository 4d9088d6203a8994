"""Who is asking: a browser session, a user's API token, or the deployment's own token; and what they may see.

- Pages use a session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS); every POST from a page carries the
  session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`).
- Machines use `Authorization: Bearer <token>`: a user's API token (`callintel users token`) acts as that user;
  CALLINTEL_API_TOKEN, when set, acts as an admin (for the telephony side and scripts).
- With no CALLINTEL_API_TOKEN and no user accounts yet, the JSON API is open: only for a fresh deployment whose API
  listens on loopback. The first account closes it.

A rep sees their own calls, a head of sales (ROP) their team's, an admin all. A call someone may not see answers
404, the same as a call that does not exist.

The FastAPI dependencies that apply these rules to a request are in web.deps.
"""

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request
from sqlalchemy import ColumnElement, false

from ingest.providers.base import same_secret
from models.errors import BadInput
from pipeline.db import Call, User
from pipeline.runtime import Runtime
from services.accounts import UserRole, session_user

SESSION_COOKIE = "callintel_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Viewer:
    """The person or machine behind a request."""

    role: UserRole
    name: str
    actor: str
    user_id: int | None = None
    team_id: int | None = None
    rep_id: int | None = None
    locale: str = "ru"
    csrf_token: str | None = None

    @classmethod
    def of(cls, user: User, actor: str, csrf_token: str | None = None) -> "Viewer":
        return cls(
            role=UserRole(user.role),
            name=user.name,
            actor=actor,
            user_id=user.id,
            team_id=user.team_id,
            rep_id=user.rep_id,
            locale=user.locale,
            csrf_token=csrf_token,
        )

    def calls_filter(self) -> ColumnElement[bool] | None:
        """The condition on `calls` rows this viewer may see; None for everything."""
        if self.role is UserRole.admin:
            return None
        if self.role is UserRole.rop:
            return Call.team_id == self.team_id if self.team_id is not None else false()
        return Call.rep_id == self.rep_id if self.rep_id is not None else false()

    def sees(self, call: Call) -> bool:
        if self.role is UserRole.admin:
            return True
        if self.role is UserRole.rop:
            return self.team_id is not None and call.team_id == self.team_id
        return self.rep_id is not None and call.rep_id == self.rep_id

    def sees_team(self, team_id: int | None) -> bool:
        return self.role is UserRole.admin or (self.role is UserRole.rop and team_id == self.team_id)


class LoginNeeded(BadInput):
    """A page asked for without a session: the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.location = f"/login?next={quote(next_path, safe='/')}"


def session_viewer(request: Request, runtime: Runtime) -> Viewer | None:
    """The user of the request's session cookie; None without a live session."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with runtime.db.session() as session:
        found = session_user(session, token)
        if found is None:
            return None
        user, row = found
        return Viewer.of(user, user.login, row.csrf_token)


async def check_csrf(request: Request, viewer: Viewer) -> None:
    """403 for a write from a session that does not carry the session's CSRF token."""
    if request.method not in _UNSAFE:
        return
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or viewer.csrf_token is None or not same_secret(sent, viewer.csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
