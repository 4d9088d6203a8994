from enum import StrEnum

from pydantic import BaseModel, Field

from models.evidence import Evidence


class Answer(StrEnum):
    yes = "yes"
    no = "no"
    na = "n/a"
    not_determined = "not_determined"


class NoScoreReason(StrEnum):
    """Why a call was not scored at all."""

    no_speech = "no_speech"
    rep_silent = "rep_silent"
    customer_silent = "customer_silent"


class DecisionSource(StrEnum):
    phrases = "phrases"
    metric = "metric"
    rule = "rule"
    llm = "llm"
    applicability = "applicability"
    none = "none"


class ItemResult(BaseModel):
    item_id: str
    section_id: str
    title: str
    answer: Answer
    source: DecisionSource
    weight: float = Field(ge=0)
    score: float | None = Field(default=None, ge=0, description="weight for 'yes', 0 for 'no', None otherwise.")
    required: bool = False
    auto_fail: bool = False
    evidence: list[Evidence] = Field(default_factory=list)
    note: str = ""


class SectionResult(BaseModel):
    section_id: str
    title: str
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)


class Scorecard(BaseModel):
    script_id: str
    script_version: str
    items: list[ItemResult]
    sections: list[SectionResult]
    score: float = Field(ge=0, description="Sum of weights of 'yes' items.")
    max_score: float = Field(ge=0, description="Sum of weights of items decided yes or no (N/A excluded).")
    percent: float | None = Field(default=None, ge=0, le=100, description="0 when auto-failed.")
    auto_failed: bool = False
    decided_share: float = Field(ge=0, le=1, description="Share of applicable items decided yes or no.")
    no_score_reason: NoScoreReason | None = Field(
        default=None,
        description="Why the call got no score at all (no speech, or one side never spoke); it stays out of averages.",
    )
