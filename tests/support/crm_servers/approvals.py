"""Proposals as the rep's decisions leave them, for the adapter tests."""

from datetime import UTC, datetime

from crm_fill.adapters import CallLog
from models import CallDirection, Evidence, FieldProposal, ProposalStatus


def proposal(field: str, value: object, status: ProposalStatus = ProposalStatus.approved) -> FieldProposal:
    quote = Evidence(quote="as discussed on the call", start=10.0, end=12.0)
    return FieldProposal(field=field, value=value, evidence=[quote], confidence=0.9, source="rule", status=status)


def call_log(phone: str, **changes: object) -> CallLog:
    fields: dict[str, object] = {
        "call_id": "pbx-8841",
        "started_at": datetime(2025, 2, 19, 11, 5, tzinfo=UTC),
        "duration_s": 274,
        "direction": CallDirection.outbound,
        "phone": phone,
        "recording_url": "https://calls.example.com/recordings/pbx-8841.mp3",
        "summary": "Клиент готов к демо во вторник; бюджет 50 000 ₽.",
    }
    return CallLog.model_validate({**fields, **changes})
