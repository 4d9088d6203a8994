"""A call's audio for the page's player, with HTTP Range requests answered so the player can seek."""

import logging
import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from pipeline.db import Call
from pipeline.playback import MEDIA_TYPE, AudioPurged, PlaybackError, playback_audio
from services.audit import AuditAction
from web.access_log import log_access
from web.deps import PageViewer, RuntimeDep
from web.i18n import Translator

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first range of a Range header as (first, last) byte, inclusive; None to send everything. Raises
    ValueError for a range that lies outside the `size` bytes."""
    if not header:
        return None
    match = _RANGE.match(header.split(",")[0].strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            raise ValueError(header)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError(header)
    return start, end


def log_audio_access(runtime: RuntimeDep, request: Request, viewer: PageViewer, call_id: str) -> None:
    """A fetch without Range is a download; a player's first range (from byte 0) is a play. Seeks are not logged."""
    sent = request.headers.get("range")
    if sent is None:
        log_access(runtime, request, viewer, AuditAction.call_audio_downloaded, f"call:{call_id}")
    elif sent.replace(" ", "").startswith("bytes=0-"):
        log_access(runtime, request, viewer, AuditAction.call_audio_played, f"call:{call_id}")


@router.get("/app/calls/{call_id}/audio")
def call_audio(request: Request, call_id: str, viewer: PageViewer, runtime: RuntimeDep) -> Response:
    visible = viewer.calls_filter()
    conditions = [Call.id == call_id] if visible is None else [Call.id == call_id, visible]
    with runtime.db.session() as session:
        if session.scalar(select(Call.id).where(*conditions)) is None:
            raise HTTPException(404, "no such call")
    translator = Translator(viewer.locale)
    try:
        data = playback_audio(runtime, call_id)
    except LookupError:
        raise HTTPException(404, "no such call") from None
    except AudioPurged as exc:
        date = f"{exc.purged_at:%Y-%m-%d}"
        raise HTTPException(410, translator.t("call_audio_purged", date=date)) from None
    except PlaybackError as exc:
        log.warning("call %s: no playable audio: %s", call_id, exc)
        raise HTTPException(422, translator.t("call_audio_unplayable")) from None
    size = len(data)
    log_audio_access(runtime, request, viewer, call_id)
    headers = {
        "Accept-Ranges": "bytes",
        # Never kept by the browser: a cached recording would outlive the session that was allowed to play it.
        "Cache-Control": "no-store",
        # The copy is made once per call and never changes, so the call and its length name it.
        "ETag": f'"{call_id}-{size}"',
    }
    try:
        chosen = byte_range(request.headers.get("range"), size)
    except ValueError:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if chosen is None:
        return Response(data, media_type=MEDIA_TYPE, headers=headers)
    first, last = chosen
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(data[first : last + 1], status_code=206, media_type=MEDIA_TYPE, headers=headers)
