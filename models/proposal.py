from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from models.evidence import Evidence

FieldValue = str | float | bool | date | list[str]


class ProposalStatus(StrEnum):
    proposed = "proposed"
    approved = "approved"
    edited = "edited"
    rejected = "rejected"


class FieldProposal(BaseModel):
    """A value proposed for one CRM field, with what backs it. Reps approve, edit or reject it."""

    field: str
    value: FieldValue
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    source: str = Field(description="'rule' or 'llm'.")
    status: ProposalStatus = ProposalStatus.proposed
