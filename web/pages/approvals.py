"""The approvals pages: a rep's queue of calls with proposed CRM values, and one call's values to approve, edit
or reject.

A rep sees their own calls, a head of sales their team's and an admin everyone's, as everywhere else; all three
may decide (the API lets them too: a head of sales can clear an absent rep's queue). Decisions go through
`services.approvals.record_decisions`, which logs each one with the AI's value, then the publish queue is asked to
send the CRM write; with the queue down the decisions are still stored and the reconciler sends them later.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from crm_fill.approval import DecisionError
from models import CallInfo, Evidence, FieldSchema, FieldSpec, FieldType, ProposalStatus
from pipeline.call_setup import load_call, resolve_fields
from pipeline.db import Call, Proposal, Rep, Team
from pipeline.queue.dispatch import send_publish
from pipeline.runtime import Runtime
from services.approvals import Actor, FieldDecision, record_decisions
from services.audit import AuditAction
from web.access_log import log_access
from web.auth import Viewer
from web.call_views import CallDetail, call_detail
from web.deps import PageViewer, RuntimeDep
from web.pages.render import render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/app/approvals", include_in_schema=False)

QUEUE_LIMIT = 200
NOTICES = ("saved", "saved_crm", "saved_later", "nothing_left")


@dataclass(frozen=True)
class QueuedCall:
    id: str
    started_at: datetime | None
    rep: str | None
    team: str | None
    fields: int


@dataclass
class FieldRow:
    """One proposed value as the page shows it, with what its edit input needs."""

    name: str
    title: str
    description: str
    type: str
    multiple: bool
    allowed: list[tuple[str, str]]
    shown: str
    confidence: float
    source: str
    status: str
    evidence: list[Evidence]
    input_value: str = ""
    selected: list[str] = field(default_factory=list)
    error: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _spec(schema: FieldSchema, name: str) -> FieldSpec | None:
    try:
        return schema.field(name)
    except KeyError:
        return None


def _schema_and_values(runtime: Runtime, call_id: str) -> tuple[FieldSchema, dict[str, Any]]:
    """The call's field schema and its proposals' stored (unredacted) values."""
    with runtime.db.session() as session:
        call = session.get(Call, call_id)
        if call is None:
            raise HTTPException(404, f"no call {call_id}")
        setup = load_call(session, call, runtime.settings)
        rows = session.execute(select(Proposal.field, Proposal.value).where(Proposal.call_id == call_id)).all()
        raw: dict[str, Any] = dict(rows)
    return resolve_fields(setup.fields_ref, setup.fields_text), raw


def _shown(spec: FieldSpec | None, value: Any, language: str) -> str:
    """A value in the reader's language: each known value under its title there."""
    if spec is None or not spec.value_titles:
        return _text(value)
    values = value if isinstance(value, list) else [value]
    return ", ".join(spec.value_title(_text(item), language) for item in values)


def _rows(detail: CallDetail, schema: FieldSchema, raw: dict[str, Any], language: str) -> list[FieldRow]:
    """The proposals with titles, descriptions and known values in `language`; values submitted stay the field's
    own (allowed values are offered as `(value, title)`), so the CRM receives the value its option id is mapped by."""
    rows = []
    for proposal in detail.proposals:
        spec = _spec(schema, proposal.field)
        shown = _text(proposal.value)
        # A redacted value is not offered for editing: saved back, the redaction mark would reach the CRM.
        editable = shown == _text(raw.get(proposal.field))
        values = proposal.value if isinstance(proposal.value, list) else [proposal.value]
        rows.append(
            FieldRow(
                name=proposal.field,
                title=spec.title_in(language) if spec else proposal.field,
                description=spec.description_in(language) if spec else "",
                type=spec.type.value if spec else FieldType.string.value,
                multiple=bool(spec and spec.multiple),
                allowed=[(v, spec.value_title(v, language)) for v in spec.allowed_values] if spec else [],
                shown=_shown(spec, proposal.value, language),
                confidence=proposal.confidence,
                source=proposal.source,
                status=proposal.status,
                evidence=[e for e in proposal.evidence if e.quote],
                input_value=shown if editable else "",
                selected=[_text(v) for v in values] if editable else [],
            )
        )
    return rows


def _visible_call(runtime: Runtime, viewer: Viewer, call_id: str) -> None:
    with runtime.db.session() as session:
        call = session.get(Call, call_id)
        if call is None or not viewer.sees(call):
            raise HTTPException(404, f"no call {call_id}")


def _page(
    request: Request,
    runtime: Runtime,
    viewer: Viewer,
    call_id: str,
    status_code: int = 200,
    notice: str | None = None,
    error: tuple[str, str, list[str] | None] | None = None,
) -> HTMLResponse:
    detail = call_detail(runtime, call_id, viewer.calls_filter())
    if detail is None:
        raise HTTPException(404, f"no call {call_id}")
    schema, raw = _schema_and_values(runtime, call_id)
    rows = _rows(detail, schema, raw, viewer.locale)
    if error is not None:
        name, message, submitted = error
        for row in rows:
            if row.name == name:
                row.error = message
                if submitted is not None:
                    row.input_value, row.selected = ", ".join(submitted), submitted
    undecided = sum(1 for row in rows if row.status == ProposalStatus.proposed.value)
    summary = detail.result.analysis.summary.text if detail.result and detail.result.analysis.summary else None
    return render(
        request,
        viewer,
        "approval.html",
        status_code,
        call=detail,
        info=detail.info,
        rows=rows,
        undecided=undecided,
        summary=summary,
        notice=notice if notice in NOTICES else None,
    )


@router.get("")
def approvals_queue(request: Request, viewer: PageViewer, runtime: RuntimeDep) -> HTMLResponse:
    """Calls with values still awaiting a decision, newest first."""
    visible = viewer.calls_filter()
    conditions = [] if visible is None else [visible]
    pending = (
        select(Proposal.call_id, func.count().label("n"))
        .where(Proposal.status == ProposalStatus.proposed.value)
        .group_by(Proposal.call_id)
        .subquery()
    )
    with runtime.db.session() as session:
        calls, fields = session.execute(
            select(func.count(), func.coalesce(func.sum(pending.c.n), 0))
            .select_from(Call)
            .join(pending, pending.c.call_id == Call.id)
            .where(*conditions)
        ).one()
        rows = session.execute(
            select(Call, pending.c.n, Rep.name, Team.name)
            .join(pending, pending.c.call_id == Call.id)
            .outerjoin(Rep, Rep.id == Call.rep_id)
            .outerjoin(Team, Team.id == Call.team_id)
            .where(*conditions)
            .order_by(Call.created_at.desc(), Call.id)
            .limit(QUEUE_LIMIT)
        ).all()
        queued = []
        for call, n, rep, team in rows:
            info = CallInfo.model_validate(call.info)
            queued.append(
                QueuedCall(
                    id=call.id,
                    started_at=info.started_at or call.created_at,
                    rep=rep or info.rep_name,
                    team=team or info.team,
                    fields=n,
                )
            )
    return render(
        request, viewer, "approvals.html", calls=queued, total_calls=calls, total_fields=int(fields), limit=QUEUE_LIMIT
    )


@router.get("/{call_id}")
def approval_page(
    request: Request, viewer: PageViewer, runtime: RuntimeDep, call_id: str, notice: str | None = None
) -> HTMLResponse:
    page = _page(request, runtime, viewer, call_id, notice=notice)
    log_access(runtime, request, viewer, AuditAction.call_opened, f"call:{call_id}", page="approvals")
    return page


def _record(runtime: Runtime, viewer: Viewer, call_id: str, decisions: list[FieldDecision]) -> str:
    """Store the decisions and ask for the CRM write; the notice to show. ValueError: nothing was stored."""
    with runtime.db.session() as session:
        recorded = record_decisions(session, runtime.settings, call_id, decisions, Actor(viewer.user_id, viewer.actor))
    try:
        send_publish(runtime, call_id)
    except Exception:
        # The deliveries are stored; the reconciler queues them once the broker is back.
        log.warning("call %s: the publish queue is down; its CRM writes wait for the reconciler", call_id)
        return "saved_later"
    return "saved_crm" if recorded.crm_writes else "saved"


@router.post("/{call_id}/decide")
async def decide_field(
    request: Request,
    viewer: PageViewer,
    runtime: RuntimeDep,
    call_id: str,
    field_name: Annotated[str, Form(alias="field", max_length=128)],
    decision: Annotated[str, Form(max_length=16)],
) -> Response:
    """One field's decision: approve, edit (with the value typed) or reject."""
    _visible_call(runtime, viewer, call_id)
    submitted = [value for value in (await request.form()).getlist("value") if isinstance(value, str)]
    schema, _ = _schema_and_values(runtime, call_id)
    spec = _spec(schema, field_name)
    value: Any = None
    if decision == "edit":
        value = submitted if spec is not None and spec.multiple and spec.type == FieldType.enum else "".join(submitted)
    try:
        made = FieldDecision(field=field_name, decision=decision, value=value)
        notice = _record(runtime, viewer, call_id, [made])
    except ValueError as exc:
        message = str(exc).splitlines()[0] if decision in ("approve", "edit", "reject") else f"decision: {decision}"
        return _page(request, runtime, viewer, call_id, 422, error=(field_name, message, submitted))
    return RedirectResponse(f"/app/approvals/{call_id}?notice={notice}#f-{field_name}", status_code=303)


@router.post("/{call_id}/approve-all")
def approve_all(request: Request, viewer: PageViewer, runtime: RuntimeDep, call_id: str) -> Response:
    """Approve every value still undecided; decided ones keep their decision."""
    _visible_call(runtime, viewer, call_id)
    with runtime.db.session() as session:
        undecided = session.scalars(
            select(Proposal.field)
            .where(Proposal.call_id == call_id, Proposal.status == ProposalStatus.proposed.value)
            .order_by(Proposal.id)
        ).all()
    if not undecided:
        return RedirectResponse(f"/app/approvals/{call_id}?notice=nothing_left", status_code=303)
    try:
        notice = _record(runtime, viewer, call_id, [FieldDecision(field=f, decision="approve") for f in undecided])
    except ValueError as exc:
        # A proposed value that no longer fits its field (the schema changed): shown on that field, nothing kept.
        failed = exc.field if isinstance(exc, DecisionError) and exc.field else undecided[0]
        return _page(request, runtime, viewer, call_id, 422, error=(failed, str(exc).splitlines()[0], None))
    return RedirectResponse(f"/app/approvals/{call_id}?notice={notice}", status_code=303)
