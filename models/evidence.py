from pydantic import BaseModel, Field

from models.conversation import Role


class Evidence(BaseModel):
    """A verbatim quote from the transcript, or a measured metric, that backs a decision."""

    quote: str | None = Field(default=None, description="Verbatim transcript text; checked to be in the transcript.")
    start: float | None = Field(default=None, ge=0, description="Seconds from the call's start.")
    end: float | None = Field(default=None, ge=0)
    role: Role | None = None
    metric: str | None = Field(default=None, description="For metric decisions: the metric's name.")
    value: float | None = Field(default=None, description="For metric decisions: the measured value.")
