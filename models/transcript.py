from pydantic import BaseModel, Field


class Word(BaseModel):
    text: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    probability: float = Field(ge=0, le=1)
    channel: int = Field(default=0, ge=0, description="Source channel; always 0 for mono recordings.")


class Transcript(BaseModel):
    """Recognised words of a whole call, all channels merged and ordered by start time."""

    language: str
    language_probability: float = Field(ge=0, le=1)
    duration_s: float = Field(ge=0)
    channels: int = Field(ge=1, description="How many channels were recognised separately.")
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text.strip() for w in self.words).strip()
