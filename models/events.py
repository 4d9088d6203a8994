from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Event(BaseModel):
    """What subscribers receive: signed, with an id to drop repeats by."""

    id: str = Field(description="Unique per event; a redelivery carries the same id.")
    type: str = Field(description="call.processed, call.failed, crm.fields.approved")
    created_at: datetime
    data: dict[str, Any]


class CallFailed(BaseModel):
    call_id: str
    external_id: str | None
    provider: str
    stage: str
    error: str


class ProcessedItem(BaseModel):
    item_id: str
    answer: str
    source: str


class ProcessedProposal(BaseModel):
    field: str
    value: Any
    confidence: float


class CallProcessed(BaseModel):
    call_id: str
    external_id: str | None
    provider: str
    language: str
    duration_s: float
    summary: str
    next_step: str | None
    script_id: str
    script_version: str
    score_percent: float | None
    auto_failed: bool
    items: list[ProcessedItem]
    proposals: list[ProcessedProposal]
    rep_talk_ratio: float


class ApprovedField(BaseModel):
    field: str
    value: Any
    status: str = Field(description="approved (as proposed) or edited (the rep's value).")


class FieldsApproved(BaseModel):
    """The values a rep accepted for a call, after all their decisions so far; what goes to the team's CRM."""

    call_id: str
    external_id: str | None
    provider: str
    fields: list[ApprovedField]
