"""/calls: list and read calls, run a stage again, delete a call."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from ingest.deps import get_runtime
from models import CallStatus, Stage
from pipeline.calls_admin import CallNotFound, RerunRefused, delete_call, rerun_stage
from pipeline.runtime import Runtime
from web.auth import require_api_token
from web.call_views import CallDetail, CallPage, call_detail, list_calls

router = APIRouter(prefix="/calls", tags=["calls"], dependencies=[Depends(require_api_token)])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

MAX_PAGE = 200


class RerunRequest(BaseModel):
    stage: Stage = Field(description="The stage to run again; the stages before it are not run again.")
    script: str | None = Field(default=None, description="Call script for analysis: built-in name, 'name@version'.")
    fields: str | None = Field(default=None, description="CRM field schema: built-in name, 'name@version'.")


class RerunAnswer(BaseModel):
    call_id: str
    stage: Stage
    queued: bool = Field(description="False when the queue was down: the call is marked due and queued later.")


@router.get("", summary="Calls, newest first")
def get_calls(
    runtime: RuntimeDep,
    status: CallStatus | None = None,
    provider: str | None = None,
    rep_id: int | None = None,
    team_id: int | None = None,
    since: Annotated[datetime | None, Query(description="Taken in at or after (UTC when no offset).")] = None,
    until: Annotated[datetime | None, Query(description="Taken in before (UTC when no offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CallPage:
    with runtime.db.session() as session:
        return list_calls(
            session,
            status=status,
            provider=provider,
            rep_id=rep_id,
            team_id=team_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )


@router.get("/{call_id}", summary="One call: its stages, proposals and result", responses={404: {}})
def get_call(call_id: str, runtime: RuntimeDep) -> CallDetail:
    detail = call_detail(runtime, call_id)
    if detail is None:
        raise HTTPException(404, f"no call {call_id}")
    return detail


@router.post(
    "/{call_id}/rerun",
    status_code=202,
    summary="Run a stage again, e.g. re-score with a new script version without re-running speech recognition",
    responses={404: {}, 409: {"description": "processing now, or the stage's inputs are gone"}, 422: {}},
)
def rerun(call_id: str, request: RerunRequest, runtime: RuntimeDep) -> RerunAnswer:
    try:
        done = rerun_stage(runtime, call_id, request.stage, request.script, request.fields)
    except CallNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except RerunRefused as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return RerunAnswer(call_id=done.call_id, stage=done.stage, queued=done.queued)


@router.delete("/{call_id}", status_code=204, summary="Delete a call from every store", responses={404: {}})
def delete(call_id: str, runtime: RuntimeDep) -> Response:
    try:
        delete_call(runtime, call_id)
    except CallNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return Response(status_code=204)
