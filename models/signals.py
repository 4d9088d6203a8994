"""Deal-gap signals: what a head of sales wants flagged on a call, each with what backs it."""

from enum import StrEnum

from pydantic import BaseModel, Field

from models.evidence import Evidence
from models.scorecard import DecisionSource


class SignalKind(StrEnum):
    no_next_step = "no_next_step"
    next_step_date_missing = "next_step_date_missing"
    budget_not_discussed = "budget_not_discussed"
    competitor_mentioned = "competitor_mentioned"
    objection_unanswered = "objection_unanswered"
    question_unanswered = "question_unanswered"


class SignalSeverity(StrEnum):
    """How urgently the call needs a look: 'high' puts the deal at risk, 'low' is worth knowing."""

    high = "high"
    medium = "medium"
    low = "low"


class DealSignal(BaseModel):
    """One deal gap found on a call.

    Evidence holds verbatim transcript quotes. A signal about something that did not happen quotes where it should
    have happened (the call's closing words for a missing next step) or carries none, and `note` says why.
    """

    kind: SignalKind
    severity: SignalSeverity
    message: str = Field(description="What to tell the rep or head of sales, in `language`.")
    language: str = Field(description="The language of `message`: 'ru' or 'en'.")
    subject: str | None = Field(
        default=None, description="What the signal is about: the competitor's name, the objection, the question."
    )
    evidence: list[Evidence] = Field(default_factory=list)
    source: DecisionSource = Field(description="What decided it: phrases, a turn rule, an extractor or the LLM.")
    note: str = Field(default="", description="How it was decided, in words.")
