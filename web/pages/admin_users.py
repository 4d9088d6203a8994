"""Admin: users (add, deactivate) and API tokens (make, shown once; revoke)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from pipeline.db import APIToken, Rep, Team, User
from pipeline.runtime import Runtime
from services.accounts import AccountError, UserRole, create_user, deactivate_user, make_api_token, revoke_api_token
from services.audit import AuditAction
from web.access_log import log_access
from web.auth import Viewer
from web.deps import AdminViewer, RuntimeDep
from web.pages.admin_access import back, notice_of
from web.pages.render import render

router = APIRouter()


def _page(request: Request, runtime: Runtime, viewer: Viewer, status_code: int = 200, **context: Any) -> HTMLResponse:
    with runtime.db.session() as session:
        users = session.execute(
            select(User, Team.name, Rep.name)
            .outerjoin(Team, Team.id == User.team_id)
            .outerjoin(Rep, Rep.id == User.rep_id)
            .order_by(User.active.desc(), User.login)
        ).all()
        tokens = session.execute(select(APIToken, User.login).join(User).order_by(APIToken.id.desc())).all()
        teams = session.scalars(select(Team.name).order_by(Team.name)).all()
        reps = session.execute(
            select(Rep.id, Rep.name, Team.name).outerjoin(Team, Team.id == Rep.team_id).order_by(Rep.name)
        ).all()
    return render(
        request,
        viewer,
        "admin_users.html",
        status_code,
        users=users,
        tokens=tokens,
        teams=teams,
        reps=reps,
        roles=[role.value for role in UserRole],
        **context,
    )


@router.get("/users")
def users_page(request: Request, viewer: AdminViewer, runtime: RuntimeDep, notice: str | None = None) -> HTMLResponse:
    return _page(request, runtime, viewer, notice=notice_of(notice), form={})


@router.post("/users")
def add_user(
    request: Request,
    viewer: AdminViewer,
    runtime: RuntimeDep,
    login: Annotated[str, Form(max_length=256)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=256)] = "",
    team: Annotated[str, Form(max_length=128)] = "",
    rep_id: Annotated[str, Form()] = "",
    locale: Annotated[str, Form()] = "ru",
) -> Response:
    form = {"login": login, "name": name, "role": role, "team": team, "rep_id": rep_id, "locale": locale}
    try:
        if role not in UserRole.__members__:
            raise AccountError(f"role is rep, rop or admin, not '{role}'")
        if rep_id and not rep_id.isdigit():
            raise AccountError(f"rep id is a number, not '{rep_id}'")
        with runtime.db.session() as session:
            added = create_user(
                session,
                login,
                name,
                password,
                UserRole(role),
                team=team or None,
                rep_id=int(rep_id) if rep_id else None,
                locale=locale,
            )
            log_access(session, request, viewer, AuditAction.user_changed, f"user:{added.id}", added=added.login)
    except AccountError as exc:
        return _page(request, runtime, viewer, 422, error=str(exc), form=form)
    return back("/app/admin/users", "user_added")


@router.post("/users/{user_id}/deactivate")
def deactivate(request: Request, viewer: AdminViewer, runtime: RuntimeDep, user_id: int) -> Response:
    if user_id == viewer.user_id:
        return _page(request, runtime, viewer, 422, error_key="admin_users_not_self", form={})
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise HTTPException(404, f"no user {user_id}")
        deactivate_user(session, user)
        log_access(session, request, viewer, AuditAction.user_changed, f"user:{user_id}", deactivated=user.login)
    return back("/app/admin/users", "user_deactivated")


@router.post("/tokens")
def make_token(
    request: Request,
    viewer: AdminViewer,
    runtime: RuntimeDep,
    user_id: Annotated[int, Form()],
    name: Annotated[str, Form(max_length=128)] = "",
) -> HTMLResponse:
    """The new token is on this answer only: it is stored as a hash."""
    try:
        with runtime.db.session() as session:
            user = session.get(User, user_id)
            if user is None or not user.active:
                raise AccountError(f"no active user {user_id}")
            token = make_api_token(session, user, name)
            log_access(session, request, viewer, AuditAction.user_changed, f"user:{user_id}", api_token=name)
            owner = user.login
    except AccountError as exc:
        return _page(request, runtime, viewer, 422, token_error=str(exc), form={})
    return _page(request, runtime, viewer, new_token=token, token_owner=owner, form={})


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, viewer: AdminViewer, runtime: RuntimeDep, token_id: int) -> Response:
    try:
        with runtime.db.session() as session:
            revoke_api_token(session, token_id)
            log_access(session, request, viewer, AuditAction.user_changed, f"api_token:{token_id}", revoked=True)
    except AccountError as exc:
        raise HTTPException(404, str(exc)) from None
    return back("/app/admin/users", "token_revoked")
