"""Deals: what a CRM sync or a file import gives for one deal, how a call was linked to a deal, and the deal-level
risks with their evidence and a team's settings for them."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

DEAL_FIELDS = ("stage", "amount", "owner", "close_date")


class StageOutcome(StrEnum):
    open = "open"
    won = "won"
    lost = "lost"


class LinkMethod(StrEnum):
    """How a call came to be linked to a deal."""

    deal_id = "deal_id"
    phone = "phone"
    hand = "hand"


class DealRecord(BaseModel):
    """One deal as a CRM or an import file states it. Pipelines, stages and owners are named by the CRM's ids;
    their names are optional (a stage seen for the first time is added to its pipeline as open)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(min_length=1, max_length=128, description="The deal's id in its CRM.")
    name: str = Field(default="", max_length=512)
    pipeline: str = Field(default="default", min_length=1, max_length=128)
    pipeline_name: str | None = None
    stage: str = Field(min_length=1, max_length=128)
    stage_name: str | None = None
    amount: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. RUB, USD.")
    owner: str | None = Field(default=None, max_length=128, description="The owner's user id in the CRM.")
    owner_name: str | None = None
    owner_email: str | None = None
    close_date: date | None = None
    created_at: AwareDatetime | None = None
    modified_at: AwareDatetime | None = None
    deleted: bool = False
    contact: str | None = Field(default=None, max_length=128, description="The main contact's id in the CRM.")
    contact_name: str | None = None
    contact_phones: list[str] = Field(default_factory=list)

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("contact_phones", mode="before")
    @classmethod
    def _phones(cls, value: object) -> object:
        # A file cell holds several numbers separated by commas or semicolons.
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value


class RiskKind(StrEnum):
    no_activity = "no_activity"
    next_step_overdue = "next_step_overdue"
    no_next_step = "no_next_step"
    budget_never_discussed = "budget_never_discussed"
    decision_maker_absent = "decision_maker_absent"
    competitor = "competitor"
    stage_ahead = "stage_ahead"
    close_date_passed = "close_date_passed"
    close_date_moved = "close_date_moved"


class RiskEvidence(BaseModel):
    """What backs a risk: a call (and a moment in it), a change in the CRM, or a plain fact."""

    text: str
    call_id: str | None = None
    start: float | None = Field(default=None, description="Seconds into the call, where a quote starts.")
    at: datetime | None = None


class Risk(BaseModel):
    kind: RiskKind
    message: str = Field(description="What is wrong, in English; pages show it translated by kind.")
    evidence: list[RiskEvidence] = Field(default_factory=list)


class RiskSettings(BaseModel):
    """A team's deal-risk settings; every risk can be switched off."""

    model_config = ConfigDict(extra="forbid")

    off: list[RiskKind] = Field(default_factory=list, description="Risks not raised for this team.")
    no_activity_days: int = Field(default=14, ge=1, description="Days without a call before a deal is stalled.")
    no_activity_days_by_stage: dict[str, int] = Field(
        default_factory=dict, description="The same per stage (by the stage's CRM id or name), overriding the default."
    )
    close_date_moves: int = Field(default=2, ge=1, description="Moves of the close date that make a risk.")
    advanced_probability: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Open stages with this default probability or more expect budget and decision maker on calls.",
    )

    def days_for(self, stage_id: str | None, stage_name: str | None) -> int:
        for key in (stage_id, stage_name):
            if key is not None and key in self.no_activity_days_by_stage:
                return self.no_activity_days_by_stage[key]
        return self.no_activity_days


class DealAtRisk(BaseModel):
    """The event `deal.at_risk`: risks newly found on a deal by a risk pass."""

    deal_id: int
    crm: str
    external_id: str
    name: str
    stage: str | None
    owner: str | None
    risks: list[Risk]
