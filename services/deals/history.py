"""The history backfill: a deal new to the first sync gets its stage, amount, owner and close date history from the
CRM's own records (services.deals.source.PastValue) in place of the single entry that starts a new deal's
history, so the deal page's history begins where the CRM's does. A field the CRM keeps no history of keeps that
single entry."""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.db import Deal, DealChange
from services.deals.facts import aware
from services.deals.source import PastValue
from services.deals.store import money_text, save_pipeline, save_stage, save_user


def _stored(session: Session, crm: str, past: PastValue) -> Any:
    """The value as a deal's history stores it (see services.deals.store.save_deal)."""
    if past.field == "stage" and past.stage is not None:
        pipeline = save_pipeline(session, crm, past.stage[0])
        return save_stage(session, pipeline, past.stage[1]).id
    if past.field == "amount":
        return money_text(past.amount, past.currency)
    if past.field == "owner":
        return save_user(session, crm, past.owner, None, None).id if past.owner else None
    return past.close_date.isoformat() if past.close_date else None


def backfill(session: Session, crm: str, deal: Deal, past: list[PastValue]) -> int:
    """Replace the new deal's first entries with the CRM's history of each field it has one for; the entries
    written."""
    current: dict[str, Any] = {
        change.field: change.new for change in session.scalars(select(DealChange).where(DealChange.deal_id == deal.id))
    }
    by_field: dict[str, list[PastValue]] = defaultdict(list)
    for value in past:
        by_field[value.field].append(value)
    written = 0
    for field, values in by_field.items():
        chain: list[tuple[datetime, Any]] = []
        for value in sorted(values, key=lambda v: v.at):
            stored = _stored(session, crm, value)
            latest = chain[-1][1] if chain else None  # a field empty at first starts its history when first set
            if stored != latest:
                chain.append((value.at, stored))
        if not chain:
            continue
        if chain[-1][1] != current.get(field):
            # A change the CRM's history does not show (or shows later than the deal's own state): the deal as
            # the sync read it is the newest state.
            at = aware(deal.crm_modified_at) if deal.crm_modified_at else chain[-1][0]
            chain.append((max(at, chain[-1][0]), current.get(field)))
        session.execute(delete(DealChange).where(DealChange.deal_id == deal.id, DealChange.field == field))
        old = None
        for at, new in chain:
            session.add(DealChange(deal_id=deal.id, field=field, old=old, new=new, at=at))
            old = new
        written += len(chain)
    return written
