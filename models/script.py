"""A call script (rubric): what a rep is expected to do on a call, and how each step is decided."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from models.conversation import Role


class Method(StrEnum):
    """How a script item may be decided. An item lists them in order; the first that reaches a decision wins."""

    phrases = "phrases"
    metric = "metric"
    llm = "llm"


class MetricCondition(BaseModel):
    """'yes' when the measured metric satisfies the comparison, 'no' otherwise."""

    metric: str = Field(description="Dotted name in ConversationMetrics, e.g. 'rep.talk_ratio'.")
    op: Literal["<", "<=", ">", ">="]
    value: float

    def holds(self, measured: float) -> bool:
        match self.op:
            case "<":
                return measured < self.value
            case "<=":
                return measured <= self.value
            case ">":
                return measured > self.value
            case ">=":
                return measured >= self.value


class ScriptItem(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    description: str = ""
    weight: float = Field(default=1.0, ge=0)
    required: bool = False
    allow_na: bool = False
    auto_fail: bool = Field(default=False, description="A 'no' on this item fails the whole call.")
    decide_by: list[Method] = Field(min_length=1)
    speaker: Role = Field(default=Role.rep, description="Whose words the phrases must be found in.")
    phrases: dict[str, list[str]] = Field(
        default_factory=dict, description="Language → phrases that show the step was done ('yes')."
    )
    no_phrases: dict[str, list[str]] = Field(
        default_factory=dict, description="Language → phrases that show the step was not done ('no')."
    )
    applies_if: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Language → customer phrases that make the item applicable; none heard means N/A.",
    )
    metric: MetricCondition | None = None
    question: str | None = Field(default=None, description="What the LLM is asked, answered yes/no/n/a with a quote.")

    @model_validator(mode="after")
    def _methods_have_what_they_need(self) -> "ScriptItem":
        if Method.phrases in self.decide_by and not (self.phrases or self.no_phrases):
            raise ValueError(f"item '{self.id}' is decided by phrases but lists none")
        if Method.metric in self.decide_by and self.metric is None:
            raise ValueError(f"item '{self.id}' is decided by a metric but names none")
        if Method.llm in self.decide_by and not self.question:
            raise ValueError(f"item '{self.id}' is decided by the LLM but has no question")
        if self.applies_if and not self.allow_na:
            raise ValueError(f"item '{self.id}' has applies_if but does not allow N/A")
        return self


class ScriptSection(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    items: list[ScriptItem] = Field(min_length=1)


class CallScript(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    version: str
    title: str
    language: str = Field(description="The language the script is written for: 'ru' or 'en'.")
    description: str = ""
    sections: list[ScriptSection] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "CallScript":
        seen: set[str] = set()
        for item in self.items():
            if item.id in seen:
                raise ValueError(f"item id '{item.id}' appears twice")
            seen.add(item.id)
        return self

    def items(self) -> list[ScriptItem]:
        return [item for section in self.sections for item in section.items]
