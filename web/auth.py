"""Who is asking: a browser session, a user's API token, or the deployment's own token; and what they may see.

- Pages use a session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS); every POST from a page carries the
  session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`).
- Machines use `Authorization: Bearer <token>`: a user's API token (`callintel users token`) acts as that user;
  CALLINTEL_API_TOKEN, when set, acts as an admin (for the telephony side and scripts).
- With no CALLINTEL_API_TOKEN and no user accounts yet, the JSON API is open: only for a fresh deployment whose API
  listens on loopback. The first account closes it.

A rep sees their own calls, a head of sales (ROP) their team's, an admin all. A call someone may not see answers
404, the same as a call that does not exist.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement, false

from ingest.providers.base import same_secret
from pipeline.db import Call, User
from services.accounts import UserRole, any_users, session_user, token_user

SESSION_COOKIE = "callintel_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_bearer = HTTPBearer(auto_error=False, description="A user's API token, or CALLINTEL_API_TOKEN.")


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


class LoginNeeded(Exception):
    """A page asked for without a session: the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.location = f"/login?next={quote(next_path, safe='/')}"


def _session_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with request.app.state.runtime.db.session() as session:
        found = session_user(session, token)
        if found is None:
            return None
        user, row = found
        return Viewer.of(user, user.login, row.csrf_token)


async def _check_csrf(request: Request, viewer: Viewer) -> None:
    if request.method not in _UNSAFE:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or viewer.csrf_token is None or not same_secret(sent, viewer.csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


async def api_viewer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Viewer:
    """The JSON API's caller: a bearer token, or a browser session (with its CSRF token on writes)."""
    runtime = request.app.state.runtime
    deployment_token = runtime.settings.api_token
    configured = deployment_token is not None and bool(deployment_token.get_secret_value())
    if credentials is not None:
        if configured and same_secret(credentials.credentials, deployment_token.get_secret_value()):
            return Viewer(role=UserRole.admin, name="CALLINTEL_API_TOKEN", actor="deployment token")
        with runtime.db.session() as session:
            found = token_user(session, credentials.credentials)
            if found is not None:
                user, token = found
                return Viewer.of(user, f"{user.login} (token '{token.name}')")
        raise HTTPException(401, "wrong bearer token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    viewer = _session_viewer(request)
    if viewer is not None:
        await _check_csrf(request, viewer)
        return viewer
    if not configured:
        with runtime.db.session() as session:
            if not any_users(session):
                return Viewer(role=UserRole.admin, name="open API", actor="open API")
    raise HTTPException(401, "missing Authorization: Bearer token", headers={"WWW-Authenticate": "Bearer"})


async def page_viewer(request: Request) -> Viewer:
    """A page's user, from the session cookie; no session: to the login page, then back."""
    viewer = _session_viewer(request)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginNeeded(target if request.method == "GET" else "/")
    await _check_csrf(request, viewer)
    return viewer


def require_role(*roles: UserRole) -> Callable[[Viewer], Awaitable[Viewer]]:
    """A page or API dependency that lets only these roles through (403 for the others)."""

    async def check(viewer: Annotated[Viewer, Depends(page_viewer)]) -> Viewer:
        if viewer.role not in roles:
            raise HTTPException(403, "your role may not open this page")
        return viewer

    return check


ApiViewer = Annotated[Viewer, Depends(api_viewer)]
PageViewer = Annotated[Viewer, Depends(page_viewer)]
