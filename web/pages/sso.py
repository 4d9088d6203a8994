"""Signing in through the deployment's OpenID Connect provider: the login page's "Sign in with …" button leads to
/login/sso, which sends the browser to the provider; the provider sends it back to /login/sso/callback.

A sign-in through the provider is not asked for this service's own second factor: the provider asks for its own.
Each sign-in and each refusal goes to the audit log.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from models.errors import CallintelError, Unavailable
from pipeline.runtime import Runtime
from services import audit
from services.accounts import start_session
from services.audit import AuditAction
from services.identities import ProviderAccount, SignInRefused, sign_in_with_provider
from services.sign_in_requests import REQUEST_LIFETIME, open_request, take_request
from web.deps import RuntimeDep
from web.i18n import Translator
from web.pages.login import LANG_COOKIE, client_address, is_secure, safe_next, set_session_cookie
from web.pages.render import render
from web.sso_flow import CALLBACK_PATH, SingleSignOn, authorization_url, finish_sign_in, new_secret

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
# Ties a provider's answer to the browser that left for the provider (services.sign_in_requests).
SSO_COOKIE = "callintel_sso"
_COOKIE_PATH = "/login/sso"
QueryText = Annotated[str, Query(max_length=4096)]


def _configured(runtime: Runtime) -> SingleSignOn:
    sso = SingleSignOn.of(runtime.settings)
    if sso is None:
        raise HTTPException(404, "single sign-on is not configured")
    return sso


def _redirect_uri(request: Request, runtime: Runtime) -> str:
    base = runtime.settings.public_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


def _failure_page(request: Request, sso: SingleSignOn, status_code: int, key: str, reason: str = "") -> Response:
    translator = Translator(request.cookies.get(LANG_COOKIE, "ru"))
    response = render(
        request,
        None,
        "sso_error.html",
        status_code,
        translator.locale,
        message=translator.t(key, provider=sso.provider_name),
        reason=reason,
    )
    response.delete_cookie(SSO_COOKIE, path=_COOKIE_PATH)
    return response


def _record_failure(
    runtime: Runtime, request: Request, exc: CallintelError, account: ProviderAccount | None = None
) -> None:
    log.warning("sso: sign-in refused: %s", exc)
    with runtime.db.session() as session:
        audit.record(
            session,
            actor_id=None,
            action=AuditAction.sign_in_sso_failed,
            target=(account.email or account.subject) if account else "",
            detail={"reason": str(exc), "issuer": account.issuer if account else runtime.settings.sso_issuer},
            ip=client_address(request),
        )


@router.get("/login/sso")
def start(request: Request, runtime: RuntimeDep, next: Annotated[str, Query(max_length=1024)] = "/") -> Response:
    """Off to the provider, with a fresh state, nonce and PKCE verifier kept for its answer."""
    sso = _configured(runtime)
    nonce, code_verifier = new_secret(), new_secret()
    redirect_uri = _redirect_uri(request, runtime)
    try:
        sso.provider.metadata()
        with runtime.db.session() as session:
            state, browser = open_request(
                session,
                nonce=nonce,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
                next_path=safe_next(next),
            )
        target = authorization_url(
            sso, state=state, nonce=nonce, code_verifier=code_verifier, redirect_uri=redirect_uri
        )
    except Unavailable as exc:
        log.warning("sso: the provider is unavailable: %s", exc)
        return _failure_page(request, sso, 503, "sso_unavailable")
    except CallintelError as exc:
        log.warning("sso: the provider cannot be used: %s", exc)
        return _failure_page(request, sso, 502, "sso_misconfigured")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SSO_COOKIE,
        browser,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path=_COOKIE_PATH,
        max_age=int(REQUEST_LIFETIME.total_seconds()),
    )
    return response


@router.get(CALLBACK_PATH)
def callback(
    request: Request,
    runtime: RuntimeDep,
    state: QueryText = "",
    code: QueryText = "",
    iss: QueryText = "",
    error: QueryText = "",
    error_description: QueryText = "",
) -> Response:
    """The provider's answer: the pending request it belongs to, then the code redeemed and the ID token checked."""
    sso = _configured(runtime)
    refused: SignInRefused | None = None
    with runtime.db.session() as session:
        try:
            pending = take_request(session, state, request.cookies.get(SSO_COOKIE, ""))
        except SignInRefused as exc:
            # Caught inside the transaction: a request that was found stays used up, whoever brought it back.
            refused = exc
    if refused is not None:
        _record_failure(runtime, request, refused)
        return _failure_page(request, sso, 400, "sso_request_unknown")
    if error:
        # The person cancelled at the provider, or the provider turned them or this client down.
        refusal = SignInRefused(f"the provider answered {error}: {error_description}".rstrip(": "))
        _record_failure(runtime, request, refusal)
        return _failure_page(request, sso, 403, "sso_provider_refused", str(refusal))
    account: ProviderAccount | None = None
    try:
        metadata = sso.provider.metadata()
        # RFC 9207: an answer naming another issuer was meant for another provider's sign-in.
        if (iss or metadata.returns_issuer) and iss != metadata.issuer:
            raise SignInRefused(f"the answer names issuer {iss!r}, not {metadata.issuer!r}")
        if not code:
            raise SignInRefused("the provider's answer carries no code")
        account = finish_sign_in(
            sso,
            code=code,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
            redirect_uri=pending.redirect_uri,
        )
        with runtime.db.session() as session:
            user = sign_in_with_provider(session, account, sso.rules)
            token, _ = start_session(session, user)
            audit.record(
                session,
                actor_id=user.id,
                action=AuditAction.sign_in_sso,
                target=user.login,
                detail={"issuer": account.issuer, "subject": account.subject},
                ip=client_address(request),
            )
    except Unavailable as exc:
        _record_failure(runtime, request, exc, account)
        return _failure_page(request, sso, 503, "sso_unavailable")
    except CallintelError as exc:
        _record_failure(runtime, request, exc, account)
        return _failure_page(request, sso, 403, "sso_refused", str(exc))
    response = RedirectResponse(safe_next(pending.next_path), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(SSO_COOKIE, path=_COOKIE_PATH)
    return response
