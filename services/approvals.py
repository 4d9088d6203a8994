"""A rep's decisions on a call's proposed CRM values, and what they set off.

Each decision (approve, edit, reject) is checked against the call's field schema and stored on the proposal. In
the same transaction the call gets a `crm.fields.approved` event for subscribers and, for every enabled CRM
connection of the call's team, a `crm.write` delivery carrying the approved and edited values as they are now:
later decisions queue another write, so the CRM ends up with the rep's latest word. Rejected and undecided
proposals are never part of a write. Every decision is also appended to the decision log (who, when, the AI's
value, the value kept): acceptance rates per field come from it.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_fill.approval import Decision, DecisionError, decide
from models import FieldProposal, ProposalStatus
from models.events import ApprovedField, FieldsApproved
from models.proposal import FieldValue
from pipeline.call_setup import load_call, resolve_fields
from pipeline.crm_outbox import queue_crm_writes
from pipeline.db import Call, FieldDecisionLog, Proposal
from pipeline.events import record_event
from pipeline.redaction import redactor_for, shown_value
from pipeline.settings import Settings
from services.calls_admin import CallNotFound

ACCEPTED = (ProposalStatus.approved, ProposalStatus.edited)
JSON_VALUE: TypeAdapter[FieldValue] = TypeAdapter(FieldValue)


class FieldDecision(BaseModel):
    field: str
    decision: Decision
    value: Any = Field(default=None, description="The rep's value, for an edit only.")


@dataclass(frozen=True)
class Actor:
    """Who decided: a user (None for the deployment's own token) and the name kept in the log."""

    user_id: int | None
    name: str


class Recorded(BaseModel):
    proposals: list[FieldProposal] = Field(description="Every proposal of the call as it now stands.")
    crm_writes: int = Field(description="CRM connections of the call's team that a write was queued for.")


def proposal_of(row: Proposal) -> FieldProposal:
    return FieldProposal.model_validate(
        {
            "field": row.field,
            "value": row.value,
            "evidence": row.evidence,
            "confidence": row.confidence,
            "source": row.source,
            "status": row.status,
        }
    )


def record_decisions(
    session: Session, settings: Settings, call_id: str, decisions: list[FieldDecision], actor: Actor
) -> Recorded:
    """Apply the decisions and queue what they set off.

    DecisionError, naming the field, when a decision names a field the call has no proposal for or a value does
    not fit; then nothing is stored.
    """
    call = session.get(Call, call_id)
    if call is None:
        raise CallNotFound(f"no call {call_id}")
    rows = {row.field: row for row in session.scalars(select(Proposal).where(Proposal.call_id == call_id))}
    setup = load_call(session, call, settings)
    schema = resolve_fields(setup.fields_ref, setup.fields_text)
    reference = setup.info.reference_time()
    for decision in decisions:
        row = rows.get(decision.field)
        if row is None:
            raise DecisionError(f"call {call_id} has no proposal for field '{decision.field}'", field=decision.field)
        try:
            spec = schema.field(decision.field)
        except KeyError:
            raise DecisionError(
                f"field '{decision.field}' is not in field schema '{schema.id}'", field=decision.field
            ) from None
        try:
            decided = decide(
                proposal_of(row), decision.decision, edited_value=decision.value, spec=spec, reference=reference
            )
        except ValueError as exc:
            # coerce's InvalidValue does not know the field; the page shows the problem on the field it is about.
            raise DecisionError(str(exc), field=decision.field) from exc
        ai_value = row.ai_value if row.ai_value is not None else row.value
        row.value = JSON_VALUE.dump_python(decided.value, mode="json")
        row.status = decided.status.value
        session.add(
            FieldDecisionLog(
                call_id=call_id,
                field=row.field,
                decision=decision.decision,
                ai_value=ai_value,
                final_value=None if decided.status is ProposalStatus.rejected else row.value,
                user_id=actor.user_id,
                actor=actor.name[:256],
            )
        )
    session.flush()
    proposals = [proposal_of(row) for row in rows.values()]
    accepted = [proposal for proposal in proposals if proposal.status in ACCEPTED]
    # Subscribers see values as redaction leaves them, like the proposals in call.processed; the CRM gets them whole.
    redactor = redactor_for(settings, setup.info)
    language = setup.language or "ru"
    approved = FieldsApproved(
        call_id=call.id,
        external_id=call.external_id,
        provider=call.provider,
        fields=[
            ApprovedField(
                field=p.field,
                value=JSON_VALUE.dump_python(shown_value(p.value, redactor, language), mode="json"),
                status=p.status.value,
            )
            for p in accepted
        ],
    )
    record_event(session, "crm.fields.approved", call.id, approved)
    connections = queue_crm_writes(session, call, accepted) if accepted else []
    return Recorded(proposals=proposals, crm_writes=len(connections))
