"""What the deal pages show: the deals at risk a person may see, and one deal in full (its CRM fields and their
history, the timeline of its calls, approved values, the people met, the next step, its risks).

A rep sees the deals they own (their CRM user mapped to them), a head of sales their team's, an admin all.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session

from models import Analysis, CallInfo
from pipeline.db import (
    Call,
    CallResultRow,
    CallSignalRow,
    CRMContact,
    CRMPipeline,
    CRMStage,
    CRMUser,
    Deal,
    DealCall,
    DealChange,
    DealContact,
    DealRisk,
    Proposal,
)
from pipeline.redaction import redactor_for, shown_analysis
from pipeline.runtime import Runtime
from pipeline.stages import load_output
from pipeline.storage import StorageError
from redaction.redactor import Redactor
from services.accounts import UserRole
from services.deals.facts import aware, call_time
from services.deals.risks import DECISION_MAKER_PRESENT

MOMENT_FIELDS = ("budget", "decision_maker", "next_step", "next_step_date", "competitors_mentioned")
AT_RISK_LIMIT = 500


def deals_scope(role: UserRole, team_id: int | None, rep_id: int | None) -> ColumnElement[bool] | None:
    """The condition on `deals` rows this person may see; None for everything."""
    if role is UserRole.admin:
        return None
    if role is UserRole.rop:
        return Deal.team_id == team_id if team_id is not None else false()
    return Deal.rep_id == rep_id if rep_id is not None else false()


@dataclass(frozen=True)
class DealLine:
    id: int
    name: str
    external_id: str
    stage: str | None
    amount: Decimal | None
    currency: str | None
    owner: str | None
    close_date: date | None
    risks: list[str]


def deals_at_risk(session: Session, scope: ColumnElement[bool] | None) -> list[DealLine]:
    """Open deals with at least one risk, most risks first."""
    risks = select(DealRisk.deal_id, func.count().label("n")).group_by(DealRisk.deal_id).subquery()
    query = (
        select(Deal, CRMStage.name, CRMUser.name, risks.c.n)
        .join(risks, risks.c.deal_id == Deal.id)
        .outerjoin(CRMStage, CRMStage.id == Deal.stage_id)
        .outerjoin(CRMUser, CRMUser.id == Deal.owner_id)
        .where(Deal.deleted.is_(False))
        .order_by(risks.c.n.desc(), Deal.close_date, Deal.id)
        .limit(AT_RISK_LIMIT)
    )
    if scope is not None:
        query = query.where(scope)
    rows = session.execute(query).all()
    kinds: dict[int, list[str]] = {}
    for deal_id, kind in session.execute(
        select(DealRisk.deal_id, DealRisk.kind)
        .where(DealRisk.deal_id.in_([row[0].id for row in rows]))
        .order_by(DealRisk.kind)
    ):
        kinds.setdefault(deal_id, []).append(kind)
    return [
        DealLine(
            deal.id,
            deal.name,
            deal.external_id,
            stage,
            deal.amount,
            deal.currency,
            owner,
            deal.close_date,
            kinds.get(deal.id, []),
        )
        for deal, stage, owner, _ in rows
    ]


@dataclass(frozen=True)
class HistoryEntry:
    field: str
    old: str | None
    new: str | None
    at: datetime


@dataclass(frozen=True)
class Moment:
    field: str
    text: str
    start: float | None


@dataclass
class TimelineCall:
    id: str
    at: datetime
    method: str
    summary: str | None
    score: float | None
    gaps: list[tuple[str, str]] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    call_id: str | None


@dataclass(frozen=True)
class DealRiskLine:
    kind: str
    message: str
    evidence: list[dict[str, Any]]


@dataclass
class DealPage:
    deal: Deal
    pipeline: str | None
    stage: str | None
    outcome: str | None
    owner: str | None
    history: list[HistoryEntry]
    history_since: datetime | None
    calls: list[TimelineCall]
    approved: dict[str, Any]
    people: list[Person]
    next_step: str | None
    next_step_date: str | None
    risks: list[DealRiskLine]


def _names(session: Session, model: type[CRMStage] | type[CRMUser], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.id: row.name for row in session.execute(select(model.id, model.name).where(model.id.in_(ids)))}


def _history(session: Session, deal_id: int) -> list[HistoryEntry]:
    changes = session.scalars(
        select(DealChange).where(DealChange.deal_id == deal_id).order_by(DealChange.at, DealChange.id)
    ).all()

    def ids(name: str) -> set[int]:
        return {v for c in changes if c.field == name for v in (c.old, c.new) if isinstance(v, int)}

    names = {"stage": _names(session, CRMStage, ids("stage")), "owner": _names(session, CRMUser, ids("owner"))}

    def text(name: str, value: Any) -> str | None:
        if value is None:
            return None
        return names[name].get(value, str(value)) if name in names else str(value)

    return [HistoryEntry(c.field, text(c.field, c.old), text(c.field, c.new), aware(c.at)) for c in changes]


def _summary(runtime: Runtime, call: Call) -> str | None:
    try:
        analysis = load_output(runtime, call.id, "analysis", Analysis)
    except StorageError:
        return None
    info = CallInfo.model_validate(call.info)
    return shown_analysis(analysis, info, analysis.summary.language, runtime.settings).summary.text


def _redact(redactor: Redactor | None, text: str, language: str) -> str:
    return text if redactor is None else redactor.text(text, language)


def deal_page(runtime: Runtime, session: Session, deal_id: int, scope: ColumnElement[bool] | None) -> DealPage | None:
    query = select(Deal).where(Deal.id == deal_id, Deal.deleted.is_(False))
    deal = session.scalar(query.where(scope) if scope is not None else query)
    if deal is None:
        return None
    stage = session.get(CRMStage, deal.stage_id) if deal.stage_id else None
    pipeline = session.get(CRMPipeline, deal.pipeline_id) if deal.pipeline_id else None
    owner = session.get(CRMUser, deal.owner_id) if deal.owner_id else None
    rows = session.execute(
        select(Call, DealCall.method, CallResultRow.language, CallResultRow.score_percent)
        .join(DealCall, DealCall.call_id == Call.id)
        .outerjoin(CallResultRow, CallResultRow.call_id == Call.id)
        .where(DealCall.deal_id == deal.id)
    ).all()
    calls = {
        call.id: TimelineCall(call.id, call_time(call), method, _summary(runtime, call) if language else None, score)
        for call, method, language, score in rows
    }
    languages = {call.id: language or "ru" for call, _, language, _ in rows}
    redactor = redactor_for(runtime.settings)
    approved: dict[str, Any] = {}
    people: list[Person] = []
    # The current next step is the one agreed on the latest call that agreed one (its step and date, by call id).
    steps: dict[str, dict[str, str]] = {}
    for call_id, kind, text in session.execute(
        select(CallSignalRow.call_id, CallSignalRow.kind, CallSignalRow.text).where(CallSignalRow.call_id.in_(calls))
    ):
        calls[call_id].gaps.append((kind, text))
    proposals = session.scalars(select(Proposal).where(Proposal.call_id.in_(calls))).all()
    for proposal in sorted(proposals, key=lambda p: calls[p.call_id].at):
        timeline = calls[proposal.call_id]
        if proposal.status == "rejected" or proposal.value in (None, "", []):
            continue
        text = ", ".join(map(str, proposal.value)) if isinstance(proposal.value, list) else str(proposal.value)
        # Shown values are redacted like everything else on a page (a phone or e-mail field's value too).
        shown = _redact(redactor, text, languages[proposal.call_id])
        if proposal.field in MOMENT_FIELDS:
            quote = next((e for e in proposal.evidence or [] if isinstance(e, dict) and e.get("quote")), None)
            timeline.moments.append(
                Moment(
                    proposal.field,
                    _redact(redactor, quote["quote"], languages[proposal.call_id]) if quote else shown,
                    quote.get("start") if quote else None,
                )
            )
        if proposal.status in ("approved", "edited"):
            approved[proposal.field] = shown
        if proposal.field == "decision_maker":
            people.append(
                Person(
                    shown,
                    "decision_maker_present" if text == DECISION_MAKER_PRESENT else "decision_maker",
                    proposal.call_id,
                )
            )
        if proposal.field in ("next_step", "next_step_date"):
            steps.setdefault(proposal.call_id, {})[proposal.field] = shown
    for (name,) in session.execute(
        select(CRMContact.name)
        .join(DealContact, DealContact.contact_id == CRMContact.id)
        .where(DealContact.deal_id == deal.id, CRMContact.name != "")
    ):
        people.append(Person(name, "contact", None))
    history = _history(session, deal.id)
    latest = max(steps, key=lambda call_id: calls[call_id].at, default=None)
    current = steps[latest] if latest is not None else {}
    risks = [
        DealRiskLine(row.kind, row.message, row.evidence)
        for row in session.scalars(select(DealRisk).where(DealRisk.deal_id == deal.id).order_by(DealRisk.kind))
    ]
    return DealPage(
        deal=deal,
        pipeline=pipeline.name if pipeline else None,
        stage=stage.name if stage else None,
        outcome=stage.outcome if stage else None,
        owner=owner.name if owner else None,
        history=history,
        history_since=history[0].at if history else None,
        calls=sorted(calls.values(), key=lambda c: c.at, reverse=True),
        approved=approved,
        people=people,
        next_step=current.get("next_step"),
        next_step_date=current.get("next_step_date"),
        risks=risks,
    )
