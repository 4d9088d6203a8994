"""What the API shows of calls: the list with its filters, and one call in full."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from models import CallInfo, CallResult, CallStatus, Evidence, Stage
from pipeline.db import Call, CallResultRow, CRMConnection, Delivery, OutboxEvent, Proposal, Rep, StageRun, Team
from pipeline.redaction import redactor_for, shown_call, shown_evidence, shown_value
from pipeline.runtime import Runtime
from pipeline.stages import load_output, output_key
from redaction.redactor import Redactor


class CallSummary(BaseModel):
    id: str
    provider: str
    external_id: str | None
    status: CallStatus
    next_stage: Stage | None = Field(description="The stage due next; null once the call is done.")
    error: str | None
    rep_id: int | None
    rep_name: str | None
    team_id: int | None
    team: str | None
    started_at: datetime | None = Field(description="When the call itself started, as the PBX reported it.")
    score_percent: float | None = Field(description="Script adherence, once analysed.")
    auto_failed: bool | None = Field(description="Whether a must-have script item failed, once analysed.")
    created_at: datetime
    updated_at: datetime


class CallPage(BaseModel):
    calls: list[CallSummary]
    total: int = Field(description="Calls matching the filters, over all pages.")
    limit: int
    offset: int


class StageRunView(BaseModel):
    stage: Stage
    status: str = Field(description="running, done, failed or superseded (a repeated run that finished second).")
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    error: str | None


class ProposalView(BaseModel):
    id: int
    field: str
    value: Any
    confidence: float
    source: str
    status: str
    evidence: list[Evidence]


class RecordingView(BaseModel):
    sha256: str
    size_bytes: int
    purged_at: datetime | None = Field(description="When retention deleted the audio; null while it is kept.")


class CRMWriteView(BaseModel):
    """One write of the rep's approved values to a CRM, without the values themselves (they hold personal data)."""

    crm: str = Field(description="amocrm, bitrix24, hubspot or webhook.")
    status: str = Field(description="pending, delivered or dead.")
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    deal_id: str | None = Field(description="The deal written to, once found.")
    kept: bool | None = Field(description="Read back and every field kept; null until delivered or when not read back.")
    not_kept: list[str] = Field(description="Our fields whose value the CRM answered for but did not keep.")


class CallDetail(CallSummary):
    info: CallInfo
    options: dict[str, Any] = Field(description="Per-call overrides: script, fields.")
    recording: RecordingView
    script_id: str | None = Field(description="The call script of the latest analysis.")
    script_version: str | None
    timeline: list[StageRunView] = Field(description="Every stage run, oldest first.")
    proposals: list[ProposalView]
    crm_writes: list[CRMWriteView] = Field(description="Writes of approved values to the team's CRMs, newest first.")
    result: CallResult | None = Field(description="The stored result once the call is done, else null.")


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# Quoted: Select takes one type per column from SQLAlchemy 2.1 on, only a tuple type before it.
def _joined(query: "Select[Call, CallResultRow, str, str]") -> "Select[Call, CallResultRow, str, str]":
    return (
        query.outerjoin(CallResultRow, CallResultRow.call_id == Call.id)
        .outerjoin(Rep, Rep.id == Call.rep_id)
        .outerjoin(Team, Team.id == Call.team_id)
    )


def _summary_fields(call: Call, result: CallResultRow | None, rep_name: str | None, team: str | None) -> dict[str, Any]:
    info = CallInfo.model_validate(call.info)
    return {
        "id": call.id,
        "provider": call.provider,
        "external_id": call.external_id,
        "status": call.status,
        "next_stage": call.next_stage,
        "error": call.error,
        "rep_id": call.rep_id,
        "rep_name": rep_name or info.rep_name,
        "team_id": call.team_id,
        "team": team or info.team,
        "started_at": info.started_at,
        "score_percent": result.score_percent if result else None,
        "auto_failed": result.auto_failed if result else None,
        "created_at": call.created_at,
        "updated_at": call.updated_at,
    }


def list_calls(
    session: Session,
    *,
    status: CallStatus | None = None,
    provider: str | None = None,
    rep_id: int | None = None,
    team_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    visible: ColumnElement[bool] | None = None,
) -> CallPage:
    """Calls newest first; `since` is inclusive and `until` exclusive, both on when the call was taken in (a time
    without an offset is read as UTC). `visible` limits them to what the viewer may see."""
    conditions = [] if visible is None else [visible]
    if status is not None:
        conditions.append(Call.status == status)
    if provider is not None:
        conditions.append(Call.provider == provider)
    if rep_id is not None:
        conditions.append(Call.rep_id == rep_id)
    if team_id is not None:
        conditions.append(Call.team_id == team_id)
    if since is not None:
        conditions.append(Call.created_at >= _aware(since))
    if until is not None:
        conditions.append(Call.created_at < _aware(until))
    total = session.scalar(select(func.count()).select_from(Call).where(*conditions)) or 0
    rows = session.execute(
        _joined(select(Call, CallResultRow, Rep.name, Team.name))
        .where(*conditions)
        .order_by(Call.created_at.desc(), Call.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    calls = [CallSummary(**_summary_fields(*row)) for row in rows]
    return CallPage(calls=calls, total=total, limit=limit, offset=offset)


def _shown(proposal: ProposalView, redactor: Redactor | None, language: str) -> ProposalView:
    """A proposal as a rep sees it; the stored row keeps what was said."""
    value = shown_value(proposal.value, redactor, language)
    return proposal.model_copy(
        update={"value": value, "evidence": shown_evidence(proposal.evidence, redactor, language)}
    )


def _crm_writes(session: Session, call_id: str) -> list[CRMWriteView]:
    rows = session.execute(
        select(Delivery, CRMConnection.kind)
        .join(OutboxEvent, Delivery.event_id == OutboxEvent.id)
        .join(CRMConnection, Delivery.crm_connection_id == CRMConnection.id)
        .where(OutboxEvent.call_id == call_id, OutboxEvent.type == "crm.write")
        .order_by(Delivery.id.desc())
    ).all()
    views = []
    for delivery, kind in rows:
        result = delivery.result or {}
        views.append(
            CRMWriteView(
                crm=kind,
                status=delivery.status,
                attempts=delivery.attempts,
                last_error=delivery.last_error,
                delivered_at=_aware(delivery.delivered_at),
                deal_id=result.get("deal_id"),
                kept=result.get("ok") if result.get("verified") else None,
                not_kept=[m.get("field", "") for m in result.get("mismatches", [])],
            )
        )
    return views


def call_detail(runtime: Runtime, call_id: str, visible: ColumnElement[bool] | None = None) -> CallDetail | None:
    """One call as the API shows it: the result, proposals and quotes with personal data redacted. None when there
    is no such call, or the viewer may not see it (`visible`)."""
    conditions = [Call.id == call_id] if visible is None else [Call.id == call_id, visible]
    with runtime.db.session() as session:
        query = _joined(select(Call, CallResultRow, Rep.name, Team.name)).where(*conditions)
        row = session.execute(query).one_or_none()
        if row is None:
            return None
        call, result_row = row[0], row[1]
        recording = call.recording
        runs = session.scalars(
            select(StageRun).where(StageRun.call_id == call_id).order_by(StageRun.started_at, StageRun.id)
        ).all()
        proposals = session.scalars(select(Proposal).where(Proposal.call_id == call_id).order_by(Proposal.id)).all()
        crm_writes = _crm_writes(session, call_id)
    result = None
    if call.status == CallStatus.done and runtime.storage.exists(output_key(call_id, "result")):
        result = load_output(runtime, call_id, "result", CallResult)
    info = CallInfo.model_validate(call.info)
    language = result_row.language if result_row else info.language or ""
    redactor = redactor_for(runtime.settings, info, result)
    return CallDetail(
        **_summary_fields(*row),
        info=info,
        options=call.options,
        recording=RecordingView(
            sha256=recording.sha256, size_bytes=recording.size_bytes, purged_at=recording.purged_at
        ),
        script_id=result_row.script_id if result_row else None,
        script_version=result_row.script_version if result_row else None,
        timeline=[StageRunView.model_validate(run, from_attributes=True) for run in runs],
        proposals=[_shown(ProposalView.model_validate(p, from_attributes=True), redactor, language) for p in proposals],
        crm_writes=crm_writes,
        result=shown_call(result, redactor) if result is not None else None,
    )
