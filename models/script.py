"""A call script (rubric): what a rep is expected to do on a call, and how each step is decided."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.conversation import Role


class Method(StrEnum):
    """How a script item may be decided. An item lists them in order; the first that reaches a decision wins."""

    phrases = "phrases"
    meaning = "meaning"
    metric = "metric"
    llm = "llm"


class Dialogue(StrEnum):
    """A step read from the exchange between both sides, not from one utterance (see summarize/dialogue_items.py)."""

    introduction = "introduction"
    objection = "objection"
    next_step = "next_step"
    offer = "offer"
    recap = "recap"


class ItemExamples(BaseModel):
    """Utterances, in one language, that do the step (`positive`) and that look alike but do not (`negative`).

    Not `yes`/`no`: YAML reads those keys as booleans."""

    model_config = ConfigDict(extra="forbid")

    positive: list[str] = Field(default_factory=list, description="Utterances that do the step, in plain words.")
    negative: list[str] = Field(default_factory=list, description="Near misses: close in words, but not the step.")
    answers: list[str] = Field(
        default_factory=list,
        description="What the other side says in reply once the step is done (the customer naming a budget): a "
        "question of the speaker's that gets such a reply did the step, in whatever words it was asked.",
    )
    yes_at: float = Field(default=0.8, ge=0, le=1, description="Closeness at which an utterance does the step.")
    no_below: float = Field(default=0.5, ge=0, le=1, description="Below this everywhere it looked: the step is 'no'.")


class MetricCondition(BaseModel):
    """'yes' when the measured metric satisfies the comparison, 'no' otherwise."""

    model_config = ConfigDict(extra="forbid")

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
    model_config = ConfigDict(extra="forbid")

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
    examples: dict[str, ItemExamples] = Field(
        default_factory=dict, description="Language → example utterances the `meaning` method compares with."
    )
    dialogue: Dialogue | None = Field(default=None, description="A step `meaning` reads from both sides' turns.")
    metric: MetricCondition | None = None
    question: str | None = Field(default=None, description="What the LLM is asked, answered yes/no/n/a with a quote.")

    @model_validator(mode="after")
    def _methods_have_what_they_need(self) -> "ScriptItem":
        if Method.phrases in self.decide_by and not (self.phrases or self.no_phrases):
            raise ValueError(f"item '{self.id}' is decided by phrases but lists none")
        if Method.meaning in self.decide_by and not (self.examples or self.phrases or self.dialogue):
            raise ValueError(f"item '{self.id}' is decided by meaning but has no examples, phrases or dialogue")
        if Method.metric in self.decide_by and self.metric is None:
            raise ValueError(f"item '{self.id}' is decided by a metric but names none")
        if Method.llm in self.decide_by and not self.question:
            raise ValueError(f"item '{self.id}' is decided by the LLM but has no question")
        if self.applies_if and not self.allow_na:
            raise ValueError(f"item '{self.id}' has applies_if but does not allow N/A")
        return self


class ScriptSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    items: list[ScriptItem] = Field(min_length=1)


class CallScript(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
