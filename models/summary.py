from pydantic import BaseModel, Field

from models.evidence import Evidence


class Summary(BaseModel):
    language: str
    text: str
    key_points: list[str] = Field(default_factory=list)
    next_step: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    source: str = Field(description="'llm', or 'extractive' when no LLM answer could be used.")
