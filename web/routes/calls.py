"""/calls: list and read calls, record the rep's decisions on proposed CRM values, run a stage again, delete a call."""

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from models import CallStatus, ProposalStatus, Stage
from pipeline.db import Call
from pipeline.queue.dispatch import send_publish
from pipeline.runtime import Runtime
from services.accounts import UserRole
from services.approvals import Actor, FieldDecision, record_decisions
from services.audit import AuditAction
from services.calls_admin import CallNotFound, RerunRefused, delete_call, rerun_stage
from web.access_log import log_access
from web.auth import Viewer
from web.call_views import CallDetail, CallPage, call_detail, list_calls
from web.deps import ApiViewer, RuntimeDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/calls", tags=["calls"])

MAX_PAGE = 200


class RerunRequest(BaseModel):
    stage: Stage = Field(description="The stage to run again; the stages before it are not run again.")
    script: str | None = Field(default=None, description="Call script for analysis: built-in name, 'name@version'.")
    fields: str | None = Field(default=None, description="CRM field schema: built-in name, 'name@version'.")


class DecisionsRequest(BaseModel):
    decisions: list[FieldDecision] = Field(min_length=1, description="The rep's decisions, one per field.")


class DecisionsAnswer(BaseModel):
    call_id: str
    approved: list[str] = Field(description="Fields whose approved or edited value now goes to the CRM.")
    rejected: list[str]
    crm_writes: int = Field(description="CRM connections of the call's team that a write was queued for.")


class RerunAnswer(BaseModel):
    call_id: str
    stage: Stage
    queued: bool = Field(description="False when the queue was down: the call is marked due and queued later.")


def _visible(runtime: Runtime, viewer: Viewer, call_id: str, *roles: UserRole) -> None:
    """404 for a call the viewer may not see, 403 for one they see but whose role may not do this."""
    with runtime.db.session() as session:
        call = session.get(Call, call_id)
        if call is None or not viewer.sees(call):
            raise HTTPException(404, f"no call {call_id}")
    if viewer.role not in roles:
        raise HTTPException(403, f"a {viewer.role.value} may not do this")


@router.get("", summary="Calls, newest first")
def get_calls(
    runtime: RuntimeDep,
    viewer: ApiViewer,
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
            visible=viewer.calls_filter(),
        )


@router.get("/{call_id}", summary="One call: its stages, proposals and result", responses={404: {}})
def get_call(call_id: str, runtime: RuntimeDep, viewer: ApiViewer, request: Request) -> CallDetail:
    detail = call_detail(runtime, call_id, viewer.calls_filter())
    if detail is None:
        raise HTTPException(404, f"no call {call_id}")
    log_access(runtime, request, viewer, AuditAction.call_opened, f"call:{call_id}", via="api")
    return detail


@router.post(
    "/{call_id}/rerun",
    status_code=202,
    summary="Run a stage again, e.g. re-score with a new script version without re-running speech recognition",
    responses={404: {}, 409: {"description": "processing now, or the stage's inputs are gone"}, 422: {}},
)
def rerun(call_id: str, request: RerunRequest, runtime: RuntimeDep, viewer: ApiViewer) -> RerunAnswer:
    _visible(runtime, viewer, call_id, UserRole.rop, UserRole.admin)
    try:
        done = rerun_stage(runtime, call_id, request.stage, request.script, request.fields)
    except CallNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except RerunRefused as exc:
        raise HTTPException(409, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return RerunAnswer(call_id=done.call_id, stage=done.stage, queued=done.queued)


@router.post(
    "/{call_id}/decisions",
    summary="The rep's decisions on proposed CRM values: approve, edit (with the value) or reject",
    responses={404: {}, 422: {"description": "no proposal for that field, or an edited value that does not fit"}},
)
def post_decisions(call_id: str, request: DecisionsRequest, runtime: RuntimeDep, viewer: ApiViewer) -> DecisionsAnswer:
    _visible(runtime, viewer, call_id, UserRole.rep, UserRole.rop, UserRole.admin)
    try:
        with runtime.db.session() as session:
            recorded = record_decisions(
                session, runtime.settings, call_id, request.decisions, Actor(viewer.user_id, viewer.actor)
            )
    except CallNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        send_publish(runtime, call_id)
    except Exception:
        # The deliveries are stored; the reconciler queues them once the broker is back.
        log.warning("call %s: the publish queue is down; its CRM writes wait for the reconciler", call_id)
    by_status = {p.field: p.status for p in recorded.proposals}
    return DecisionsAnswer(
        call_id=call_id,
        approved=sorted(f for f, s in by_status.items() if s in (ProposalStatus.approved, ProposalStatus.edited)),
        rejected=sorted(f for f, s in by_status.items() if s == ProposalStatus.rejected),
        crm_writes=recorded.crm_writes,
    )


@router.delete("/{call_id}", status_code=204, summary="Delete a call from every store", responses={404: {}})
def delete(call_id: str, runtime: RuntimeDep, viewer: ApiViewer, request: Request) -> Response:
    _visible(runtime, viewer, call_id, UserRole.admin)
    try:
        delete_call(runtime, call_id)
    except CallNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    log_access(runtime, request, viewer, AuditAction.call_deleted, f"call:{call_id}")
    return Response(status_code=204)
