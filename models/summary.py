from pydantic import BaseModel, Field

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


class Summary(BaseModel):
    language: str
    text: str
    key_points: list[str] = Field(default_factory=list)
    next_step: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    source: str = Field(description="'llm', or 'extractive' when no LLM answer could be used.")
    template_id: str | None = Field(default=None, description="The note template the sections follow, if any.")
    template_version: str | None = None
    sections: list[SummarySection] = Field(default_factory=list)
    chunks: int = Field(default=1, ge=1, description="Transcript parts the LLM read separately (long calls).")
