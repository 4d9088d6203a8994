"""Values in a request that the database cannot hold: answered 400 with the reason, whichever route read them.

An id past the column's range (`/app/reps/99999999999`, `?rep_id=99999999999`) or a NUL byte in a path or filter
(`/app/calls/%00`) reaches the database as a lookup no row can match; PostgreSQL refuses it (DataError) and SQLite's
driver cannot even bind an integer past 64 bits (OverflowError). One handler for every route, so a new route needs
nothing of its own.
"""

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

REASON = "a value in the request is out of range or holds a NUL byte"

Handler = Callable[[Request, Exception], Awaitable[Response]]


def unusable_value(answer_http_error: Handler) -> Handler:
    """The exception handler: logs the refusal and answers as any 400 is answered (an error page or JSON)."""

    async def handler(request: Request, exc: Exception) -> Response:
        log.warning("%s %s refused (400): %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return await answer_http_error(request, HTTPException(400, REASON))

    return handler
