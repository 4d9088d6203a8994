"""The CRM fields a team wants proposed from each call."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


class FieldType(StrEnum):
    string = "string"
    number = "number"
    money = "money"
    date = "date"
    enum = "enum"
    bool = "bool"


class Extractor(StrEnum):
    """Deterministic extractors a field may use before the LLM is asked."""

    money = "money"
    date = "date"
    phone = "phone"
    email = "email"
    name = "name"
    identifier = "identifier"
    phrases = "phrases"
    agreed_date = "agreed_date"
    decision_maker = "decision_maker"
    organizations = "organizations"
    deal_stage = "deal_stage"


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    type: FieldType
    description: str = ""
    required: bool = False
    multiple: bool = Field(default=False, description="A list of values (e.g. competitors mentioned).")
    allowed_values: list[str] = Field(default_factory=list, description="For enum fields.")
    extractor: Extractor | None = None
    speaker: str = Field(default="any", description="Whose words the extractor reads: 'rep', 'customer' or 'any'.")
    value_phrases: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="Value → language → phrases that propose that value."
    )
    context_phrases: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Language → cue phrases: a money, date or identifier extractor reads only utterances with a "
        "cue (and the other speaker's answer to a cue said as a question or a request).",
    )
    question: str | None = Field(default=None, description="What the LLM is asked for this field.")
    titles: dict[str, str] = Field(
        default_factory=dict, description="Language → the field's title shown to users of that language."
    )
    descriptions: dict[str, str] = Field(default_factory=dict, description="Language → the description.")
    value_titles: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Allowed or known value → language → how users of that language see it."
    )
    catalogue: bool = Field(
        default=False, description="The team's product catalogue adds its products and synonyms as known values."
    )
    min_days_after_call: int = Field(
        default=0,
        ge=0,
        description="A date field's values less than this many days after the call are not proposed: a deal's "
        "close is not the date of next Thursday's meeting.",
    )

    def title_in(self, language: str) -> str:
        return self.titles.get(language[:2]) or self.title

    def description_in(self, language: str) -> str:
        return self.descriptions.get(language[:2]) or self.description

    def value_title(self, value: object, language: str) -> str:
        """How a value is shown in `language`: its title there, else the value itself."""
        return self.value_titles.get(str(value), {}).get(language[:2]) or str(value)

    def value_of_title(self, text: str) -> str | None:
        """The value a title in any language (or the value itself) names, compared case-insensitively."""
        wanted = _fold(text)
        for value in [*self.allowed_values, *self.value_titles]:
            if any(_fold(spelling) == wanted for spelling in [value, *self.value_titles.get(value, {}).values()]):
                return value
        return None

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if self.type == FieldType.enum and not self.allowed_values:
            raise ValueError(f"enum field '{self.name}' lists no allowed values")
        if self.extractor == Extractor.phrases and not self.value_phrases and not self.catalogue:
            raise ValueError(f"field '{self.name}' uses phrases but lists none")
        unknown = set(self.value_phrases) - set(self.allowed_values) if self.allowed_values else set()
        if unknown:
            raise ValueError(f"field '{self.name}' has phrases for values not allowed: {sorted(unknown)}")
        untitled = set(self.value_titles) - set(self.allowed_values) if self.allowed_values else set()
        if untitled:
            raise ValueError(f"field '{self.name}' has titles for values not allowed: {sorted(untitled)}")
        if self.extractor is None and not self.question:
            raise ValueError(f"field '{self.name}' has neither an extractor nor an LLM question")
        return self


class FieldSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    version: str
    title: str
    fields: list[FieldSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "FieldSchema":
        names = [f.name for f in self.fields]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"field names appear twice: {sorted(dupes)}")
        return self

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)
