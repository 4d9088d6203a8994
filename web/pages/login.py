"""Logging in and out, and the page language."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingest.providers.base import same_secret
from pipeline.db import User
from services import audit, mfa
from services.accounts import SESSION_LIFETIME, LoginRefused, end_session, sign_in, start_session
from services.audit import AuditAction
from web.auth import CSRF_FIELD, SESSION_COOKIE
from web.deps import PageViewer, RuntimeDep, SessionDep, get_runtime
from web.i18n import LOCALES, Translator
from web.pages.render import render
from web.sso_flow import sign_in_options

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "callintel_login_csrf"
LANG_COOKIE = "callintel_lang"
# A sign-in whose password was right and whose second factor is due (services.mfa's challenge token).
MFA_COOKIE = "callintel_mfa"


def safe_next(path: str | None) -> str:
    # Only a path on this site: "//evil.example" or "https://..." would send a fresh login elsewhere.
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )


def _login_page(
    request: Request, status_code: int = 200, language: str | None = None, **context: object
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    options = sign_in_options(get_runtime(request).settings)
    response = render(request, None, "login.html", status_code, language, login_csrf=token, **options, **context)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=is_secure(request), path="/login"
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/", lang: str | None = None) -> HTMLResponse:
    chosen = lang if lang in LOCALES else None
    response = _login_page(request, language=chosen, next_path=safe_next(next))
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, samesite="lax", secure=is_secure(request), max_age=365 * 86400)
    return response


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    login: Annotated[str, Form(max_length=256)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    translator = Translator(request.cookies.get(LANG_COOKIE, "ru"))
    if not runtime.settings.password_login:
        error = translator.t("sso_password_off", provider=runtime.settings.sso_provider_name)
        return _login_page(request, 403, error=error, next_path=safe_next(next))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not same_secret(csrf_token, expected):
        return _login_page(request, 403, error=translator.t("error_csrf"), next_path=safe_next(next), login=login)
    address = client_address(request)
    try:
        user = sign_in(runtime.db, login, password, address)
    except LoginRefused as refused:
        if refused.retry_after_s is None:
            return _login_page(request, 401, error=translator.t("login_wrong"), next_path=safe_next(next), login=login)
        minutes = max(1, round(refused.retry_after_s / 60))
        response: Response = _login_page(
            request, 429, error=translator.t("login_throttled", minutes=minutes), next_path=safe_next(next)
        )
        response.headers["Retry-After"] = str(refused.retry_after_s)
        return response
    with runtime.db.session() as session:
        second_factor = mfa.enrolled(session, user.id) or mfa.required_for(
            user.role, runtime.settings.mfa_required_roles
        )
        audit.record(
            session,
            actor_id=user.id,
            action=AuditAction.sign_in_password,
            target=user.login,
            detail={"second_factor": "due" if second_factor else "none"},
            ip=address,
        )
        if second_factor:
            challenge = mfa.start_challenge(session, user, safe_next(next))
        else:
            token, _ = start_session(session, user)
    if second_factor:
        response = RedirectResponse("/login/mfa", status_code=303)
        response.set_cookie(
            MFA_COOKIE, challenge, httponly=True, samesite="strict", secure=is_secure(request), path="/login"
        )
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/locale")
def set_locale(request: Request, viewer: PageViewer, session: SessionDep, locale: Annotated[str, Form()]) -> Response:
    if locale in LOCALES:
        user = session.get(User, viewer.user_id)
        if user is not None:
            user.locale = locale
    back = urlsplit(request.headers.get("referer", "/"))
    return RedirectResponse(safe_next(back.path + (f"?{back.query}" if back.query else "")), status_code=303)


@router.get("/")
@router.get("/app")
def home(viewer: PageViewer) -> Response:
    """A rep starts at their approvals queue, a head of sales or admin at the team view."""
    return RedirectResponse("/app/approvals" if viewer.role.value == "rep" else "/app/team", status_code=303)
