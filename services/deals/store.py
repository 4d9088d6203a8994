"""Saving deals as a CRM or a file states them: one upsert per deal, keyed by (crm, external id), that adds the
pipeline, stage, owner and contact it names when they are new and logs each change of stage, amount, owner or
close date. Saving the same record twice changes nothing and logs nothing, so a sync or import can be re-run."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.deals import DealRecord, StageOutcome
from pipeline.db import (
    ContactPhone,
    CRMContact,
    CRMPipeline,
    CRMStage,
    CRMUser,
    Deal,
    DealChange,
    DealContact,
    Rep,
)
from pipeline.directory import normalize_phone

log = logging.getLogger(__name__)


@dataclass
class SaveCounts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    changes: list[str] = field(default_factory=list)


def save_pipeline(session: Session, crm: str, external_id: str, name: str | None = None) -> CRMPipeline:
    row = session.scalar(select(CRMPipeline).where(CRMPipeline.crm == crm, CRMPipeline.external_id == external_id))
    if row is None:
        row = CRMPipeline(crm=crm, external_id=external_id, name=name or external_id)
        session.add(row)
        session.flush()
    elif name and row.name != name:
        row.name = name
    return row


def save_stage(
    session: Session,
    pipeline: CRMPipeline,
    external_id: str,
    name: str | None = None,
    *,
    position: int | None = None,
    outcome: StageOutcome | None = None,
    probability: float | None = None,
) -> CRMStage:
    """The pipeline's stage with this id, added (open, after the others) when new; names and given mapping kept."""
    row = session.scalar(
        select(CRMStage).where(CRMStage.pipeline_id == pipeline.id, CRMStage.external_id == external_id)
    )
    if row is None:
        last = session.scalar(
            select(CRMStage.position)
            .where(CRMStage.pipeline_id == pipeline.id)
            .order_by(CRMStage.position.desc())
            .limit(1)
        )
        row = CRMStage(
            pipeline_id=pipeline.id,
            external_id=external_id,
            name=name or external_id,
            position=position if position is not None else (last + 1 if last is not None else 0),
            outcome=(outcome or StageOutcome.open).value,
            probability=probability,
        )
        session.add(row)
        session.flush()
    else:
        if name and row.name != name:
            row.name = name
        if position is not None:
            row.position = position
        if outcome is not None:
            row.outcome = outcome.value
        if probability is not None:
            row.probability = probability
    return row


def save_user(session: Session, crm: str, external_id: str, name: str | None, email: str | None) -> CRMUser:
    """The CRM user, added when new; mapped to the rep with the same e-mail unless someone mapped it by hand."""
    row = session.scalar(select(CRMUser).where(CRMUser.crm == crm, CRMUser.external_id == external_id))
    if row is None:
        row = CRMUser(crm=crm, external_id=external_id, name=name or email or external_id)
        session.add(row)
    if name:
        row.name = name
    if email:
        row.email = email.strip().lower()
    if row.mapped_by != "hand" and row.email:
        rep_id = session.scalar(select(Rep.id).where(Rep.email == row.email))
        row.rep_id, row.mapped_by = (rep_id, "email") if rep_id is not None else (None, None)
    session.flush()
    return row


def _contact(session: Session, crm: str, record: DealRecord) -> CRMContact | None:
    if record.contact is None and not record.contact_phones:
        return None
    external_id = record.contact or f"deal:{record.external_id}"
    row = session.scalar(select(CRMContact).where(CRMContact.crm == crm, CRMContact.external_id == external_id))
    if row is None:
        row = CRMContact(crm=crm, external_id=external_id, name=record.contact_name or "")
        session.add(row)
        session.flush()
    elif record.contact_name:
        row.name = record.contact_name
    known = set(session.scalars(select(ContactPhone.phone).where(ContactPhone.contact_id == row.id)))
    for phone in {normalize_phone(number) for number in record.contact_phones} - known - {None}:
        session.add(ContactPhone(contact_id=row.id, phone=phone))
    return row


def _json(value: Any) -> Any:
    if value is None or isinstance(value, str | int):
        return value
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()


def save_deal(session: Session, crm: str, record: DealRecord, counts: SaveCounts | None = None) -> Deal:
    """Insert or update the deal; its changes logged with the CRM's modification time (else now)."""
    counts = counts if counts is not None else SaveCounts()
    pipeline = save_pipeline(session, crm, record.pipeline, record.pipeline_name)
    stage = save_stage(session, pipeline, record.stage, record.stage_name)
    owner = (
        save_user(session, crm, record.owner, record.owner_name, record.owner_email)
        if record.owner
        else save_user(session, crm, f"email:{record.owner_email.lower()}", record.owner_name, record.owner_email)
        if record.owner_email
        else None
    )
    contact = _contact(session, crm, record)
    deal = session.scalar(select(Deal).where(Deal.crm == crm, Deal.external_id == record.external_id))
    new = deal is None
    if deal is None:
        deal = Deal(crm=crm, external_id=record.external_id)
        session.add(deal)
    elif deal.crm_modified_at is not None and record.modified_at is not None:
        stored = deal.crm_modified_at if deal.crm_modified_at.tzinfo else deal.crm_modified_at.replace(tzinfo=UTC)
        if record.modified_at < stored:
            # An older state of the deal (a re-sent page, a stale file) never overwrites a newer one.
            counts.unchanged += 1
            return deal
    before = {
        "stage": deal.stage_id,
        "amount": money_text(deal.amount, deal.currency),
        "owner": deal.owner_id,
        "close_date": _json(deal.close_date),
    }
    after = {
        "stage": stage.id,
        "amount": money_text(record.amount, record.currency),
        "owner": owner.id if owner else None,
        "close_date": _json(record.close_date),
    }
    was_deleted = deal.deleted
    deal.name = record.name or deal.name or ""
    deal.pipeline_id = pipeline.id
    deal.stage_id = stage.id
    deal.amount = record.amount
    deal.currency = record.currency
    deal.owner_id = owner.id if owner else None
    deal.rep_id = owner.rep_id if owner else None
    deal.team_id = session.scalar(select(Rep.team_id).where(Rep.id == deal.rep_id)) if deal.rep_id else None
    deal.close_date = record.close_date
    deal.crm_created_at = record.created_at or deal.crm_created_at
    deal.crm_modified_at = record.modified_at or deal.crm_modified_at
    deal.deleted = record.deleted
    session.flush()
    if contact is not None and session.get(DealContact, (deal.id, contact.id)) is None:
        session.add(DealContact(deal_id=deal.id, contact_id=contact.id))
    at = record.modified_at or datetime.now(UTC)
    changed = [name for name in after if not new and before[name] != after[name]]
    for name in changed:
        session.add(DealChange(deal_id=deal.id, field=name, old=before[name], new=after[name], at=at))
    if new:
        # The deal's first state starts its history: the page says where the history begins.
        for name in ("stage", "amount", "owner", "close_date"):
            if after[name] is not None:
                session.add(DealChange(deal_id=deal.id, field=name, old=None, new=after[name], at=at))
        counts.added += 1
    elif changed or was_deleted != deal.deleted:
        counts.changed += 1
    else:
        counts.unchanged += 1
    if deal.deleted and not was_deleted:
        counts.deleted += 1
    log.info("deal saved", extra={"crm": crm, "deal": record.external_id, "new": new, "changed": changed})
    return deal


def money_text(amount: Any, currency: str | None) -> str | None:
    """An amount as a deal's history keeps it: two decimals and the currency."""
    return None if amount is None else f"{amount:.2f} {currency or ''}".strip()
