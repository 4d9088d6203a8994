"""The API process (`callintel serve`, or `uvicorn web.app:create_app --factory`); OpenAPI at /docs, /openapi.json."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from ingest.api import router as ingest_router
from pipeline import __version__
from pipeline.runtime import Runtime, default_runtime
from pipeline.storage import StorageError
from web.metrics import metrics_registry
from web.routes import calls, deliveries, health

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Only the kind of outage is told: the full reason may name internal hosts.
    kind = "storage" if isinstance(exc, StorageError) else "database"
    log.warning("%s %s: %s unavailable: %s", request.method, request.url.path, kind, exc)
    return JSONResponse(
        {"detail": f"{kind} unavailable, try again later"}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The app for a runtime (the process's default one when not given); nothing connects until a request needs it."""
    app = FastAPI(
        title="callintel",
        version=__version__,
        description="Call intelligence for sales teams: recordings in, transcripts, scorecards and CRM proposals out.",
    )
    app.state.runtime = runtime or default_runtime()
    app.state.metrics_registry = metrics_registry(app.state.runtime)
    app.add_exception_handler(StorageError, _unavailable)
    app.add_exception_handler(OperationalError, _unavailable)
    app.include_router(ingest_router)
    app.include_router(calls.router)
    app.include_router(deliveries.router)
    app.include_router(health.router)
    return app
