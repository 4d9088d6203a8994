"""/health for load balancers and orchestrators, /metrics for Prometheus. /health is open; /metrics is too unless
CALLINTEL_METRICS_TOKEN is set. Neither tells anything about calls."""

import asyncio
import logging
from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from pipeline.queue.broker import queue_depths
from pipeline.runtime import Runtime
from web.deps import RuntimeDep
from web.metrics import check_scraper

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_S = 3.0


def _database(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _storage(runtime: Runtime) -> None:
    # Listing a prefix nobody writes to reaches the server and the bucket without reading any object.
    next(iter(runtime.storage.keys("health/")), None)


def _broker(runtime: Runtime) -> None:
    queue_depths(runtime.broker)


CHECKS: dict[str, Callable[[Runtime], None]] = {"database": _database, "storage": _storage, "broker": _broker}


async def _check(name: str, check: Callable[[Runtime], None], runtime: Runtime) -> str:
    try:
        # asyncio's thread, unlike starlette's pool, can be abandoned: a check stuck on a dead server is not awaited.
        await asyncio.wait_for(asyncio.to_thread(check, runtime), CHECK_TIMEOUT_S)
    except TimeoutError:
        log.warning("health: %s timed out after %.0f s", name, CHECK_TIMEOUT_S)
        return "timeout"
    except Exception as exc:
        log.warning("health: %s failed: %s", name, exc)
        return "unavailable"
    return "ok"


@router.get(
    "/health",
    summary="Whether the database, storage and broker answer",
    responses={503: {"description": "a check failed; `checks` names it"}},
)
async def health(runtime: RuntimeDep) -> JSONResponse:
    results = await asyncio.gather(*(_check(name, check, runtime) for name, check in CHECKS.items()))
    checks = dict(zip(CHECKS, results, strict=True))
    healthy = all(result == "ok" for result in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status_code=200 if healthy else 503
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response, dependencies=[Depends(check_scraper)])
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
