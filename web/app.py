"""The API process (`callintel serve`, or `uvicorn web.app:create_app --factory`); OpenAPI at /docs, /openapi.json."""

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException

from ingest.api import router as ingest_router
from ingest.download import DownloadUnavailable
from ingest.intake import IntakeUnavailable
from ingest.providers.base import RejectedRequest
from pipeline import __version__
from pipeline.runtime import Runtime, default_runtime
from pipeline.storage import ObjectUnreadable, StorageError
from web.api_docs import add_api_docs
from web.auth import LoginNeeded
from web.deps import set_runtime
from web.i18n import Translator
from web.input_bounds import unusable_value
from web.metrics import metrics_registry
from web.pages import (
    admin,
    approvals,
    call_audio,
    calls,
    comments,
    deals,
    forecast,
    kpis,
    login,
    mfa,
    pipeline_charts,
    pipeline_review,
    snippets,
    sso,
    team,
)
from web.pages.render import render
from web.routes import calls as api_calls
from web.routes import crm_hooks, deliveries, health
from web.security_headers import SecurityHeaders

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Only the kind of outage is told: the full reason may name internal hosts.
    if isinstance(exc, IntakeUnavailable):
        kind = exc.kind
    else:
        kind = "storage" if isinstance(exc, StorageError) else "database"
    log.warning("%s %s: %s unavailable: %s", request.method, request.url.path, kind, exc)
    return JSONResponse(
        {"detail": f"{kind} unavailable, try again later"}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


async def _refused(request: Request, exc: Exception) -> Response:
    """A request refused with its own status and reason (ingest's RejectedRequest and its kinds, a recording host
    that failed): answered as an HTTPException would be, so every refusal reads the same."""
    assert isinstance(exc, RejectedRequest | DownloadUnavailable)
    log.warning("%s %s refused (%d): %s", request.method, request.url.path, exc.status_code, exc.reason)
    return await _http_error(request, HTTPException(exc.status_code, exc.reason))


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginNeeded)
    return RedirectResponse(exc.location, status_code=303)


_PAGE_MESSAGES = {403: "error_forbidden", 404: "error_not_found"}


async def _unreadable(request: Request, exc: Exception) -> Response:
    # A stored object that does not open (its storage key missing from the settings, or its bytes altered) is the
    # deployment's fault and no retry helps: the log names the object and the problem, the answer only says so.
    log.error("%s %s: %s", request.method, request.url.path, exc)
    return await _http_error(request, HTTPException(500, "a stored object could not be opened"))


async def _http_error(request: Request, exc: Exception) -> Response:
    """An error page for a browser, the usual JSON for the API."""
    assert isinstance(exc, HTTPException)
    if "text/html" not in request.headers.get("accept", ""):
        return await http_exception_handler(request, exc)
    locale = request.cookies.get("callintel_lang", "ru")
    key = _PAGE_MESSAGES.get(exc.status_code)
    message = Translator(locale).t(key) if key else str(exc.detail)
    return render(request, None, "error.html", exc.status_code, locale, message=message)


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The app for a runtime (the process's default one when not given); nothing connects until a request needs it."""
    app = FastAPI(
        title="callintel",
        version=__version__,
        description="Call intelligence for sales teams: recordings in, transcripts, scorecards and CRM proposals out.",
        # /docs is served from local files by web.api_docs; FastAPI's own pages load theirs from a public CDN.
        docs_url=None,
        redoc_url=None,
    )
    runtime = runtime or default_runtime()
    app.add_middleware(SecurityHeaders, hsts_max_age_s=runtime.settings.hsts_max_age_s)
    set_runtime(app, runtime)
    app.state.metrics_registry = metrics_registry(runtime)
    app.add_exception_handler(StorageError, _unavailable)
    app.add_exception_handler(ObjectUnreadable, _unreadable)
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(IntakeUnavailable, _unavailable)
    app.add_exception_handler(RejectedRequest, _refused)
    app.add_exception_handler(DownloadUnavailable, _refused)
    app.add_exception_handler(LoginNeeded, _to_login)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DataError, unusable_value(_http_error))
    app.add_exception_handler(OverflowError, unusable_value(_http_error))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    add_api_docs(app)
    app.include_router(login.router)
    app.include_router(sso.router)
    app.include_router(mfa.router)
    app.include_router(approvals.router)
    app.include_router(admin.router)
    app.include_router(team.router)
    app.include_router(calls.router)
    app.include_router(deals.router)
    app.include_router(comments.router)
    app.include_router(snippets.router)
    app.include_router(pipeline_review.router)
    app.include_router(pipeline_charts.router)
    app.include_router(kpis.router)
    app.include_router(forecast.router)
    app.include_router(call_audio.router)
    app.include_router(ingest_router)
    app.include_router(api_calls.router)
    app.include_router(deliveries.router)
    app.include_router(crm_hooks.router)
    app.include_router(health.router)
    return app
