"""The ingest endpoints: telephony webhooks, bucket notifications and uploads, as a router that web/ mounts.

Each endpoint verifies its sender, skips a call already taken in (before any download), fetches the recording and
hands it to ingest.intake. Answers: 202 {"call_id", "duplicate": false} for a new call; 200 for a duplicate or an
announcement with nothing to take in ({"ignored": reason}); 4xx {"detail": reason}; 502 when the recording's host
failed; 503 with Retry-After when storage or the database is down. The refusals are raised as typed errors
(RejectedRequest, DownloadUnavailable, IntakeUnavailable) and answered by the web app's exception handlers.
"""

import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ingest import intake
from ingest.deps import RuntimeDep
from ingest.download import download_recording, safe_file_name
from ingest.providers import mango, s3_event, twilio, webhook, zadarma, zadarma_replay
from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest, bearer_token, configured, same_secret
from ingest.spool import spool_folder
from models import IncomingCall
from pipeline.runtime import Runtime
from pipeline.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/ingest", tags=["ingest"])

# Provider callbacks are small forms or JSON documents; anything bigger is refused before it is held in memory.
MAX_BODY_BYTES = 1 << 20
# Room for the multipart boundaries and the meta field around an upload's file.
MULTIPART_OVERHEAD = 1 << 16

T = TypeVar("T")
Prepare = Callable[[IncomingCall, Settings], Awaitable[IncomingCall]]


async def _read(request: Request) -> ProviderRequest:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise HTTPException(413, f"request body over {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"request body over {MAX_BODY_BYTES} bytes")
    return ProviderRequest(method=request.method, url=str(request.url), headers=dict(request.headers), body=bytes(body))


async def _intake(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an intake function (blocking: database and storage) off the event loop."""
    return await run_in_threadpool(function, *args, **kwargs)


def _answer(incoming: IncomingCall, result: intake.Intake) -> dict[str, Any]:
    log.info(
        "%s call %s %s",
        incoming.provider,
        incoming.external_id or "-",
        "is a duplicate" if result.duplicate else "taken in",
        extra={"call_id": result.call_id},
    )
    return {"call_id": result.call_id, "duplicate": result.duplicate}


def _response(answer: dict[str, Any]) -> JSONResponse:
    return JSONResponse(answer, status_code=200 if answer["duplicate"] else 202)


async def _take_in(incoming: IncomingCall, runtime: Runtime, prepare: Prepare | None = None) -> JSONResponse:
    """Download the announced recording and take the call in, unless it was taken in before."""
    existing = await _intake(intake.find_existing, incoming, runtime)
    if existing:
        return _response(_answer(incoming, intake.Intake(existing, duplicate=True)))
    with spool_folder(runtime.settings) as folder:
        if prepare is not None:
            incoming = await prepare(incoming, runtime.settings)
        path = await download_recording(incoming, runtime.settings, folder)
        result = await _intake(intake.take_in, incoming, path, runtime, name=path.name)
    return _response(_answer(incoming, result))


async def _announced(
    announced: IncomingCall | Ignored, runtime: Runtime, prepare: Prepare | None = None
) -> JSONResponse:
    if isinstance(announced, Ignored):
        log.info("ignored: %s", announced.reason)
        return JSONResponse({"ignored": announced.reason})
    return await _take_in(announced, runtime, prepare)


@router.post("/twilio", summary="Twilio recording status callback")
async def twilio_recording(request: Request, runtime: RuntimeDep) -> JSONResponse:
    announced = twilio.parse(await _read(request), runtime.settings)
    return await _announced(announced, runtime)


@router.post("/mango/events/record/added", summary="MANGO OFFICE: a recording reached the cloud")
async def mango_record_added(request: Request, runtime: RuntimeDep) -> JSONResponse:
    announced = mango.parse_record_added(await _read(request), runtime.settings)
    return await _announced(announced, runtime)


@router.post("/mango/{event:path}", summary="MANGO OFFICE: any other event, acknowledged and not used")
async def mango_other_event(event: str) -> dict[str, str]:
    return {"ignored": f"MANGO OFFICE event {event} is not used"}


@router.get("/zadarma", summary="Zadarma: notification URL check (zd_echo)", response_class=PlainTextResponse)
async def zadarma_echo(request: Request, runtime: RuntimeDep) -> PlainTextResponse:
    return PlainTextResponse(zadarma.echo(await _read(request), runtime.settings))


@router.post("/zadarma", summary="Zadarma PBX call notification")
async def zadarma_event(request: Request, runtime: RuntimeDep) -> JSONResponse:
    zadarma_replay.check_source(request.client.host if request.client else None, runtime.settings)
    sent = await _read(request)
    announced = zadarma.parse(sent, runtime.settings)
    if isinstance(announced, Ignored):
        return await _announced(announced, runtime)
    signature = sent.header(zadarma.SIGNATURE_HEADER) or ""
    await _intake(zadarma_replay.refuse_seen, signature, runtime)
    answer = await _announced(announced, runtime, prepare=zadarma.with_recording_link)
    await _intake(zadarma_replay.remember, signature, runtime)
    return answer


@router.post("/webhook", summary="Generic signed JSON webhook")
async def generic_webhook(request: Request, runtime: RuntimeDep) -> JSONResponse:
    announced = webhook.parse(await _read(request), runtime.settings)
    return await _announced(announced, runtime)


@router.post("/s3", summary="S3/MinIO bucket notification")
async def bucket_event(request: Request, runtime: RuntimeDep) -> JSONResponse:
    calls, ignored = [], []
    for incoming in s3_event.parse(await _read(request), runtime.settings):
        if isinstance(incoming, Ignored):
            log.warning("bucket event ignored: %s", incoming.reason)
            ignored.append(incoming.reason)
            continue
        calls.append(_answer(incoming, await _intake(intake.take_in_object, incoming, runtime)))
    answer: dict[str, Any] = {"calls": calls} | ({"ignored": ignored} if ignored else {})
    return JSONResponse(answer, status_code=202 if any(not call["duplicate"] for call in calls) else 200)


def _check_api_token(request: Request, settings: Settings) -> None:
    token = configured(settings.api_token, "uploads (CALLINTEL_API_TOKEN)")
    sent = bearer_token(request.headers.get("authorization"))
    if sent is None:
        raise HTTPException(401, "missing Authorization: Bearer token")
    if not same_secret(sent, token):
        log.warning("upload rejected: wrong bearer token")
        raise HTTPException(401, "wrong bearer token")


async def _bounded(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request body, refused with 413 as soon as it cannot hold a file within `limit` (chunked bodies announce
    no length, so it is counted as it arrives)."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + MULTIPART_OVERHEAD:
            raise HTTPException(413, f"upload over the {limit}-byte limit")
        yield chunk


async def _upload_form(request: Request, limit: int) -> FormData:
    """The multipart form, read no further than the limit: the file part waits in an unnamed temporary file, so
    neither a refused nor an interrupted upload leaves anything on disk."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(422, "file: required (a multipart file field)")
    parser = MultiPartParser(request.headers, _bounded(request, limit), max_files=1, max_fields=1)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, exc.message) from exc


async def _save_upload(upload: UploadFile, dest: Path, max_bytes: int) -> None:
    size = 0
    with dest.open("xb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise HTTPException(413, f"upload over the {max_bytes}-byte limit")
            out.write(chunk)


@router.post("/upload", summary="Upload a recording (multipart: file, optional meta JSON)")
async def upload_recording(request: Request, runtime: RuntimeDep) -> JSONResponse:
    settings = runtime.settings
    # Checked before the body is read: an unauthenticated client must not get to spool a file to disk.
    _check_api_token(request, settings)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.download_max_bytes + MULTIPART_OVERHEAD:
        raise HTTPException(413, f"upload over the {settings.download_max_bytes}-byte limit")
    form = await _upload_form(request, settings.download_max_bytes)
    try:
        upload, meta_text = form.get("file"), form.get("meta")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "file: required (a multipart file field)")
        if meta_text is not None and not isinstance(meta_text, str):
            raise HTTPException(422, "meta: expected a JSON string, got a file")
        try:
            meta = webhook.parse_meta(json.loads(meta_text)) if meta_text else webhook.CallMeta()
        except json.JSONDecodeError as exc:
            raise HTTPException(422, f"meta is not valid JSON: {exc}") from exc
        except RejectedRequest as exc:
            raise RejectedRequest(exc.status_code, f"meta: {exc.reason}") from exc
        incoming = IncomingCall(provider="upload", external_id=meta.call_id, info=meta.info())
        existing = await _intake(intake.find_existing, incoming, runtime)
        if existing:
            return _response(_answer(incoming, intake.Intake(existing, duplicate=True)))
        with spool_folder(settings) as folder:
            path = folder / safe_file_name(upload.filename or "", "upload")
            await _save_upload(upload, path, settings.download_max_bytes)
            result = await _intake(intake.take_in, incoming, path, runtime, name=path.name)
    finally:
        await form.close()
    return _response(_answer(incoming, result))
