"""The FastAPI dependencies every page and route takes: the runtime, a database transaction, and who is asking
(with the roles a page requires). Nothing in web/ reaches app.state for these; a test or another process swaps
the runtime with `app.dependency_overrides[get_runtime]`, and every page, route and check follows.

The runtime dependency itself lives in ingest.deps (the ingest router, below web/, needs it too) and is re-exported
here, so that web/ has one module to import its dependencies from.
"""

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ingest.deps import RuntimeDep, get_runtime, set_runtime
from ingest.providers.base import same_secret
from services.accounts import UserRole, any_users, token_user
from web.auth import LoginNeeded, Viewer, check_csrf, session_viewer

__all__ = [
    "AdminViewer",
    "ApiViewer",
    "Manager",
    "PageViewer",
    "RuntimeDep",
    "SessionDep",
    "api_viewer",
    "get_runtime",
    "get_session",
    "page_viewer",
    "require_role",
    "set_runtime",
]

_bearer = HTTPBearer(auto_error=False, description="A user's API token, or CALLINTEL_API_TOKEN.")


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction around the page or route: committed when it returns, rolled back when it raises."""
    with runtime.db.session() as session:
        yield session


# "function" scope ends the transaction before the answer is sent, as a `with runtime.db.session()` block in the
# handler would: a client that follows a redirect after a write finds it committed.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def api_viewer(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Viewer:
    """The JSON API's caller: a bearer token, or a browser session (with its CSRF token on writes)."""
    deployment_token = runtime.settings.api_token
    secret = deployment_token.get_secret_value() if deployment_token is not None else ""
    configured = bool(secret)
    if credentials is not None:
        if configured and same_secret(credentials.credentials, secret):
            return Viewer(role=UserRole.admin, name="CALLINTEL_API_TOKEN", actor="deployment token")
        with runtime.db.session() as session:
            found = token_user(session, credentials.credentials)
            if found is not None:
                user, token = found
                return Viewer.of(user, f"{user.login} (token '{token.name}')")
        raise HTTPException(401, "wrong bearer token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    viewer = session_viewer(request, runtime)
    if viewer is not None:
        await check_csrf(request, viewer)
        return viewer
    if not configured:
        with runtime.db.session() as session:
            if not any_users(session):
                return Viewer(role=UserRole.admin, name="open API", actor="open API")
    raise HTTPException(401, "missing Authorization: Bearer token", headers={"WWW-Authenticate": "Bearer"})


async def page_viewer(request: Request, runtime: RuntimeDep) -> Viewer:
    """A page's user, from the session cookie; no session: to the login page, then back."""
    viewer = session_viewer(request, runtime)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginNeeded(target if request.method == "GET" else "/")
    await check_csrf(request, viewer)
    return viewer


def require_role(*roles: UserRole) -> Callable[[Viewer], Awaitable[Viewer]]:
    """A page dependency that lets only these roles through (403 for the others)."""

    async def check(viewer: Annotated[Viewer, Depends(page_viewer)]) -> Viewer:
        if viewer.role not in roles:
            raise HTTPException(403, "your role may not open this page")
        return viewer

    return check


ApiViewer = Annotated[Viewer, Depends(api_viewer)]
PageViewer = Annotated[Viewer, Depends(page_viewer)]
# A head of sales (their own team) or an admin: the team pages, and overriding a call's scorecard.
Manager = Annotated[Viewer, Depends(require_role(UserRole.rop, UserRole.admin))]
AdminViewer = Annotated[Viewer, Depends(require_role(UserRole.admin))]
