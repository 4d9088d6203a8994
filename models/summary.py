from enum import StrEnum

from pydantic import BaseModel, Field

from models.conversation import Role
from models.evidence import Evidence


class SummarySection(BaseModel):
    """One section of a note template, filled from the call; `text` None means the call did not discuss it."""

    id: str
    title: str
    text: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    source: str | None = Field(
        default=None, description="'llm', 'extractive' (phrases or CRM rule proposals), or None when not discussed."
    )


class CardLineKind(StrEnum):
    need = "need"
    request = "request"
    budget = "budget"
    decision_maker = "decision_maker"
    competitor = "competitor"
    product = "product"
    next_step = "next_step"
    next_step_date = "next_step_date"
    objection = "objection"
    question = "question"


class CardLine(BaseModel):
    """One line of the call card: what the analysis found, the words that said it, and who said them."""

    kind: CardLineKind
    label: str = Field(description="The line's label in the card's language.")
    text: str = Field(description="A value a rule extracted ('20000 USD', 'Salesforce') or a verbatim quote.")
    said_by: Role = Field(description="Who said the first quote: the rep or the customer.")
    evidence: list[Evidence] = Field(min_length=1)


class CallCard(BaseModel):
    """The call's need, facts, agreements and open points, each backed by a quote; see summarize/call_card.py."""

    language: str
    lines: list[CardLine] = Field(default_factory=list)


class Summary(BaseModel):
    language: str
    text: str
    key_points: list[str] = Field(default_factory=list)
    next_step: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    source: str = Field(
        description="'llm' when the LLM's text passed the gate (summarize/summary_gate.py), else 'extractive': the "
        "text is built from the call card."
    )
    card: CallCard | None = Field(default=None, description="The call card; shown whatever the text's source.")
    llm_rejected_reason: str | None = Field(
        default=None, description="The gate rule the LLM's text failed, and on what, when it was not shown."
    )
    template_id: str | None = Field(default=None, description="The note template the sections follow, if any.")
    template_version: str | None = None
    sections: list[SummarySection] = Field(default_factory=list)
    chunks: int = Field(default=1, ge=1, description="Transcript parts the LLM read separately (long calls).")
