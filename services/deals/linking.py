"""Which deal a call belongs to, in this order:

1. the deal id the telephony metadata carries (`crm_deal_id`, else `crm_lead_id`: amoCRM calls a deal a lead);
2. the customer's phone -> the CRM contacts with that phone -> their open deals, when exactly one is found;
   several are offered on the call page as candidates, never chosen silently;
3. by hand on the call page.

A link made by hand is never replaced by a later pass; the other links follow the metadata and the CRM.
"""

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CallDirection, CallInfo
from models.deals import LinkMethod, StageOutcome
from models.errors import BadInput
from pipeline.db import Call, ContactPhone, CRMStage, Deal, DealCall, DealContact
from pipeline.directory import normalize_phone


class LinkRefused(BadInput, ValueError):
    """A link by hand to a call or deal that does not exist or may not be linked."""


class LinkOutcome(NamedTuple):
    deal_id: int | None
    method: LinkMethod | None
    candidates: tuple[int, ...] = ()


def customer_phones(info: CallInfo) -> list[str]:
    """The customer's side of the call: the caller of an inbound call, the callee of an outbound one."""
    if info.direction is CallDirection.inbound:
        numbers = [info.from_number]
    elif info.direction is CallDirection.outbound:
        numbers = [info.to_number]
    else:
        numbers = [info.from_number, info.to_number]
    return [phone for phone in (normalize_phone(number) for number in numbers) if phone]


def _by_deal_id(session: Session, info: CallInfo) -> Deal | None:
    for external_id in (info.crm_deal_id, info.crm_lead_id):
        if external_id:
            deal = session.scalar(
                select(Deal).where(Deal.external_id == str(external_id), Deal.deleted.is_(False)).order_by(Deal.id)
            )
            if deal is not None:
                return deal
    return None


def phone_candidates(session: Session, info: CallInfo) -> list[int]:
    """The open deals of the contacts having the customer's phone, oldest first."""
    phones = customer_phones(info)
    if not phones:
        return []
    query = (
        select(Deal.id)
        .join(DealContact, DealContact.deal_id == Deal.id)
        .join(ContactPhone, ContactPhone.contact_id == DealContact.contact_id)
        .join(CRMStage, CRMStage.id == Deal.stage_id)
        .where(ContactPhone.phone.in_(phones), Deal.deleted.is_(False), CRMStage.outcome == StageOutcome.open.value)
        .distinct()
        .order_by(Deal.id)
    )
    return list(session.scalars(query))


def link_call(session: Session, call: Call) -> LinkOutcome:
    """Link the call by rule 1 or 2; an existing link by hand stays as it is."""
    existing = session.get(DealCall, call.id)
    if existing is not None and existing.method == LinkMethod.hand.value:
        return LinkOutcome(existing.deal_id, LinkMethod.hand)
    info = CallInfo.model_validate(call.info)
    deal = _by_deal_id(session, info)
    if deal is not None:
        return _store(session, call.id, deal.id, LinkMethod.deal_id, existing)
    candidates = phone_candidates(session, info)
    if len(candidates) == 1:
        return _store(session, call.id, candidates[0], LinkMethod.phone, existing)
    if existing is not None:
        session.delete(existing)
    return LinkOutcome(None, None, tuple(candidates))


def _store(
    session: Session,
    call_id: str,
    deal_id: int,
    method: LinkMethod,
    existing: DealCall | None,
    actor: str | None = None,
) -> LinkOutcome:
    if existing is None:
        session.add(DealCall(call_id=call_id, deal_id=deal_id, method=method.value, linked_by=actor))
    elif (existing.deal_id, existing.method) != (deal_id, method.value):
        existing.deal_id, existing.method, existing.linked_by = deal_id, method.value, actor
        existing.linked_at = datetime.now(UTC)
    session.flush()
    return LinkOutcome(deal_id, method)


def link_by_hand(session: Session, call_id: str, deal_id: int, actor: str) -> LinkOutcome:
    call = session.get(Call, call_id)
    deal = session.get(Deal, deal_id)
    if call is None:
        raise LinkRefused(f"no call {call_id}")
    if deal is None or deal.deleted:
        raise LinkRefused(f"no deal {deal_id}")
    return _store(session, call_id, deal_id, LinkMethod.hand, session.get(DealCall, call_id), actor)


def unlink_by_hand(session: Session, call_id: str) -> None:
    existing = session.get(DealCall, call_id)
    if existing is not None:
        session.delete(existing)


def link_calls(session: Session) -> dict[str, int]:
    """A pass over every call not linked by hand: how many are linked by each rule, and how many are ambiguous."""
    counts = {"deal_id": 0, "phone": 0, "ambiguous": 0, "none": 0}
    hand = select(DealCall.call_id).where(DealCall.method == LinkMethod.hand.value)
    for call in session.scalars(select(Call).where(Call.id.not_in(hand))):
        outcome = link_call(session, call)
        if outcome.method is not None:
            counts[outcome.method.value] += 1
        else:
            counts["ambiguous" if outcome.candidates else "none"] += 1
    return counts
