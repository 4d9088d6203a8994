"""Two-factor sign-in pages: the code step after a right password (with enrolment when the user's role requires a
second factor they have not set up yet), and the user's own page to turn it on or off."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ingest.providers.base import same_secret
from pipeline.db import User
from pipeline.runtime import Runtime
from services import audit, mfa
from services.accounts import start_session
from services.audit import AuditAction
from web.auth import Viewer
from web.deps import PageViewer, RuntimeDep
from web.i18n import Translator
from web.pages.login import LANG_COOKIE, LOGIN_CSRF_COOKIE, MFA_COOKIE, client_address, set_session_cookie
from web.pages.render import render

router = APIRouter(include_in_schema=False)
CODE = Annotated[str, Form(max_length=64)]


def _enrolment_context(session_user: User, secret: str) -> dict[str, object]:
    uri = mfa.provisioning_uri(secret, session_user.login)
    return {"qr_svg": mfa.qr_svg(uri), "otpauth_uri": uri, "secret": secret}


def _challenge_page(request: Request, runtime: Runtime, status_code: int = 200, **context: Any) -> Response:
    token = request.cookies.get(MFA_COOKIE, "")
    with runtime.db.session() as session:
        found = mfa.challenge_user(session, token) if token else None
        if found is None:
            return RedirectResponse("/login", status_code=303)
        user, _ = found
        enrolling = not mfa.enrolled(session, user.id)
        if enrolling:
            context.update(_enrolment_context(user, mfa.begin_enrolment(session, runtime.settings, user)))
    return render(
        request,
        None,
        "mfa_login.html",
        status_code,
        login_csrf=request.cookies.get(LOGIN_CSRF_COOKIE, ""),
        enrolling=enrolling,
        **context,
    )


@router.get("/login/mfa")
def challenge_page(request: Request, runtime: RuntimeDep) -> Response:
    return _challenge_page(request, runtime)


def _refused(
    request: Request, runtime: Runtime, user_id: int, exc: mfa.CodeRefused, translator: Translator
) -> Response:
    with runtime.db.session() as session:
        audit.record(
            session,
            actor_id=user_id,
            action=AuditAction.sign_in_mfa_failed,
            detail={"reason": "throttled" if exc.retry_after_s is not None else "wrong code"},
            ip=client_address(request),
        )
    if exc.retry_after_s is None:
        return _challenge_page(request, runtime, 401, error=translator.t("mfa_wrong_code"))
    minutes = max(1, round(exc.retry_after_s / 60))
    response = _challenge_page(request, runtime, 429, error=translator.t("login_throttled", minutes=minutes))
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


@router.post("/login/mfa")
def check_challenge(
    request: Request, runtime: RuntimeDep, code: CODE, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    translator = Translator(request.cookies.get(LANG_COOKIE, "ru"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not same_secret(csrf_token, expected):
        return _challenge_page(request, runtime, 403, error=translator.t("error_csrf"))
    token = request.cookies.get(MFA_COOKIE, "")
    with runtime.db.session() as session:
        found = mfa.challenge_user(session, token) if token else None
        if found is None:
            return RedirectResponse("/login", status_code=303)
        user, challenge = found
        enrolling = not mfa.enrolled(session, user.id)
        next_path = challenge.next_path

    def check(session: Session) -> str:
        if enrolling:
            codes.extend(mfa.confirm_enrolment(session, runtime.settings, user.id, code))
            return "enrolled"
        return mfa.check_code(session, runtime.settings, user.id, code)

    codes: list[str] = []
    try:
        method = mfa.limited(runtime.db, user.id, check)
    except mfa.CodeRefused as exc:
        return _refused(request, runtime, user.id, exc, translator)
    with runtime.db.session() as session:
        mfa.end_challenge(session, token)
        session_token, _ = start_session(session, session.get(User, user.id) or user)
        audit.record(
            session,
            actor_id=user.id,
            action=AuditAction.sign_in_mfa,
            target=user.login,
            detail={"method": method},
            ip=client_address(request),
        )
        if enrolling:
            audit.record(session, actor_id=user.id, action=AuditAction.mfa_enrolled, target=user.login)
    response: Response
    if codes:
        response = render(request, None, "mfa_codes.html", next_path=next_path, recovery_codes=codes)
    else:
        response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, session_token)
    response.delete_cookie(MFA_COOKIE, path="/login")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _account_page(
    request: Request, runtime: Runtime, viewer: Viewer, status_code: int = 200, **context: Any
) -> HTMLResponse:
    with runtime.db.session() as session:
        user = session.get(User, viewer.user_id) if viewer.user_id is not None else None
        if user is None:
            raise HTTPException(404, "two-factor sign-in belongs to a user account")
        enrolled = mfa.enrolled(session, user.id)
        if not enrolled:
            context.update(_enrolment_context(user, mfa.begin_enrolment(session, runtime.settings, user)))
        remaining = mfa.unused_recovery_codes(session, user.id) if enrolled else 0
    return render(
        request,
        viewer,
        "mfa_account.html",
        status_code,
        enrolled=enrolled,
        required=mfa.required_for(viewer.role.value, runtime.settings.mfa_required_roles),
        recovery_left=remaining,
        **context,
    )


@router.get("/app/mfa")
def account_page(request: Request, viewer: PageViewer, runtime: RuntimeDep) -> HTMLResponse:
    return _account_page(request, runtime, viewer)


@router.post("/app/mfa")
def change_account(
    request: Request,
    viewer: PageViewer,
    runtime: RuntimeDep,
    code: CODE,
    action: Annotated[str, Form(pattern="^(enrol|codes|off)$")],
) -> HTMLResponse:
    """Turn two-factor sign-in on, make new recovery codes, or turn it off; each needs a current code."""
    user_id = viewer.user_id
    if user_id is None:
        raise HTTPException(404, "two-factor sign-in belongs to a user account")
    translator = Translator(viewer.locale)
    if action == "off" and mfa.required_for(viewer.role.value, runtime.settings.mfa_required_roles):
        return _account_page(request, runtime, viewer, 422, error=translator.t("mfa_required_cannot_off"))
    codes: list[str] = []

    def check(session: Session) -> str:
        if action == "enrol":
            codes.extend(mfa.confirm_enrolment(session, runtime.settings, user_id, code))
            audit.record(session, actor_id=user_id, action=AuditAction.mfa_enrolled, ip=client_address(request))
        elif action == "codes":
            mfa.check_code(session, runtime.settings, user_id, code)
            codes.extend(mfa.new_recovery_codes(session, user_id))
        else:
            mfa.check_code(session, runtime.settings, user_id, code)
            mfa.turn_off(session, user_id)
            audit.record(session, actor_id=user_id, action=AuditAction.mfa_disabled, ip=client_address(request))
        return action

    try:
        mfa.limited(runtime.db, user_id, check)
    except mfa.CodeRefused as exc:
        if exc.retry_after_s is None:
            return _account_page(request, runtime, viewer, 422, error=translator.t("mfa_wrong_code"))
        minutes = max(1, round(exc.retry_after_s / 60))
        return _account_page(request, runtime, viewer, 429, error=translator.t("login_throttled", minutes=minutes))
    if codes:
        return render(request, viewer, "mfa_codes.html", next_path="/app/mfa", recovery_codes=codes)
    return _account_page(request, runtime, viewer, notice=translator.t(f"mfa_done_{action}"))
