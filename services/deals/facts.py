"""What a deal's calls show, read in bulk for many deals at once: each linked call's time, whether it was
analysed, its deal-gap signals and its proposed CRM values with their first quote."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.deals import DEAL_FIELDS
from pipeline.db import Call, CallResultRow, CallSignalRow, CRMStage, Deal, DealCall, DealChange, Proposal

CHUNK = 500


@dataclass(frozen=True)
class ProposedValue:
    value: Any
    status: str
    quote: str | None
    start: float | None

    @property
    def kept(self) -> bool:
        """Not rejected: the rep approved or edited it, or has not decided yet."""
        return self.status != "rejected"

    @property
    def approved(self) -> bool:
        return self.status in ("approved", "edited")


@dataclass
class CallFacts:
    call_id: str
    at: datetime
    analysed: bool
    signals: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, ProposedValue] = field(default_factory=dict)

    def value(self, name: str) -> ProposedValue | None:
        found = self.values.get(name)
        return found if found is not None and found.kept and found.value not in (None, "", []) else None


@dataclass
class DealFacts:
    deal_id: int
    team_id: int | None
    stage_id: str | None
    stage_name: str | None
    outcome: str
    probability: float | None
    close_date: date | None
    created_at: datetime
    calls: list[CallFacts] = field(default_factory=list)
    changes: dict[str, list[DealChange]] = field(default_factory=dict)

    @property
    def analysed_calls(self) -> list[CallFacts]:
        return [call for call in self.calls if call.analysed]


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive times; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def call_time(call: Call) -> datetime:
    """When the call happened: the telephony's start time, else when it was taken in."""
    started = (call.info or {}).get("started_at")
    if started:
        try:
            return aware(datetime.fromisoformat(started))
        except ValueError:
            pass
    return aware(call.created_at)


def _calls(session: Session, deal_ids: list[int]) -> dict[int, list[CallFacts]]:
    rows = session.execute(
        select(DealCall.deal_id, Call, CallResultRow.call_id)
        .join(Call, Call.id == DealCall.call_id)
        .outerjoin(CallResultRow, CallResultRow.call_id == Call.id)
        .where(DealCall.deal_id.in_(deal_ids))
    ).all()
    by_call = {call.id: CallFacts(call.id, call_time(call), result is not None) for _, call, result in rows}
    if by_call:
        for call_id, kind, text in session.execute(
            select(CallSignalRow.call_id, CallSignalRow.kind, CallSignalRow.text).where(
                CallSignalRow.call_id.in_(list(by_call))
            )
        ):
            by_call[call_id].signals.setdefault(kind, []).append(text)
        for proposal in session.scalars(select(Proposal).where(Proposal.call_id.in_(list(by_call)))):
            quoted = next((e for e in proposal.evidence or [] if isinstance(e, dict) and e.get("quote")), {})
            by_call[proposal.call_id].values[proposal.field] = ProposedValue(
                proposal.value, proposal.status, quoted.get("quote"), quoted.get("start")
            )
    grouped: dict[int, list[CallFacts]] = defaultdict(list)
    for deal_id, call, _ in rows:
        grouped[deal_id].append(by_call[call.id])
    for calls in grouped.values():
        calls.sort(key=lambda facts: facts.at)
    return grouped


def deal_facts(session: Session, deals: Iterable[Deal]) -> list[DealFacts]:
    deals = list(deals)
    facts: list[DealFacts] = []
    for start in range(0, len(deals), CHUNK):
        chunk = deals[start : start + CHUNK]
        ids = [deal.id for deal in chunk]
        stages = {
            stage.id: stage
            for stage in session.scalars(select(CRMStage).where(CRMStage.id.in_({d.stage_id for d in chunk} - {None})))
        }
        calls = _calls(session, ids)
        changes: dict[int, dict[str, list[DealChange]]] = defaultdict(lambda: {name: [] for name in DEAL_FIELDS})
        for change in session.scalars(
            select(DealChange).where(DealChange.deal_id.in_(ids)).order_by(DealChange.at, DealChange.id)
        ):
            changes[change.deal_id][change.field].append(change)
        for deal in chunk:
            stage = stages.get(deal.stage_id) if deal.stage_id is not None else None
            facts.append(
                DealFacts(
                    deal_id=deal.id,
                    team_id=deal.team_id,
                    stage_id=stage.external_id if stage else None,
                    stage_name=stage.name if stage else None,
                    outcome=stage.outcome if stage else "open",
                    probability=stage.probability if stage else None,
                    close_date=deal.close_date,
                    created_at=aware(deal.crm_created_at or deal.synced_at),
                    calls=calls.get(deal.id, []),
                    changes=changes[deal.id],
                )
            )
    return facts
