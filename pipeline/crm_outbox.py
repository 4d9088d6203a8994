"""Outbox rows for the team's CRMs: a write of the approved values, then the call in the deal's history.

These go to CRM connections, not to subscribers: each event has one delivery per enabled connection of the
call's team, sent by the publish worker with the same attempts, backoff and dead state as subscriber deliveries.
Logging the call is a separate step, queued only once the write went through, so retrying a failed write never
registers the call twice (Bitrix24 would show a second call for every `telephony.externalcall.register`).
"""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import FieldProposal
from pipeline.db import Call, CRMConnection, Delivery, OutboxEvent

CRM_WRITE = "crm.write"
CRM_CALL_LOG = "crm.call_log"


def queue_crm_writes(session: Session, call: Call, proposals: list[FieldProposal]) -> list[int]:
    """A `crm.write` for each enabled connection of the call's team; the ids of the connections it goes to."""
    if call.team_id is None:
        return []
    connections = session.scalars(
        select(CRMConnection.id).where(CRMConnection.team_id == call.team_id, CRMConnection.enabled.is_(True))
    ).all()
    if not connections:
        return []
    payload = {"proposals": [proposal.model_dump(mode="json") for proposal in proposals]}
    _queue(session, CRM_WRITE, call.id, payload, list(connections))
    return list(connections)


def queue_call_log(session: Session, call_id: str, connection_id: int, deal_id: str) -> None:
    _queue(session, CRM_CALL_LOG, call_id, {"deal_id": deal_id}, [connection_id])


def _queue(session: Session, type_: str, call_id: str, payload: dict, connections: list[int]) -> None:
    event_id = uuid.uuid4().hex
    session.add(OutboxEvent(id=event_id, call_id=call_id, type=type_, payload=payload))
    session.flush()
    for connection_id in connections:
        session.add(Delivery(event_id=event_id, crm_connection_id=connection_id, status="pending"))
