"""A note template: the sections a team wants every call summary to fill (e.g. a discovery call's situation, needs,
budget, decision process, objections and next step)."""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.conversation import Role

TEMPLATE_LANGUAGES = ("ru", "en")


class TemplateSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: dict[str, str] = Field(description="Language → the section's heading in the summary.")
    instruction: dict[str, str] = Field(description="Language → what to capture; the LLM is asked this.")
    phrases: dict[str, list[str]] = Field(
        default_factory=dict, description="Language → phrases whose utterances fill the section without an LLM."
    )
    speaker: Role | None = Field(default=None, description="Whose utterances the phrases are looked for in; any.")
    crm_fields: list[str] = Field(
        default_factory=list, description="CRM fields whose rule proposals (with their evidence) fill the section."
    )
    max_quotes: int = Field(default=2, ge=1, le=5, description="Utterances kept by the extractive fill.")


class NoteTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    version: str
    languages: list[str] = Field(min_length=1, description="Languages the template has text for: 'ru', 'en'.")
    title: dict[str, str] = Field(description="Language → the template's name.")
    description: str = ""
    sections: list[TemplateSection] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> "NoteTemplate":
        for language in self.languages:
            if language not in TEMPLATE_LANGUAGES:
                supported = ", ".join(TEMPLATE_LANGUAGES)
                raise ValueError(f"languages: {language!r} is not supported (supported: {supported})")
            if language not in self.title:
                raise ValueError(f"title has no {language!r} text")
        seen: set[str] = set()
        for section in self.sections:
            if section.id in seen:
                raise ValueError(f"section id '{section.id}' appears twice")
            seen.add(section.id)
            for language in self.languages:
                for key in ("title", "instruction"):
                    if language not in getattr(section, key):
                        raise ValueError(f"section '{section.id}' has no {language!r} {key}")
        return self

    def language_for(self, language: str) -> str:
        """The template language a summary in `language` uses: that one when the template has it, else its first."""
        code = language.split("-")[0].lower()
        return code if code in self.languages else self.languages[0]
