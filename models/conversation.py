from enum import StrEnum

from pydantic import BaseModel, Field

from models.transcript import Word


class Role(StrEnum):
    rep = "rep"
    customer = "customer"
    unknown = "unknown"


class Utterance(BaseModel):
    """One speaker's turn: consecutive words of one speaker."""

    speaker: str
    role: Role
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text.strip() for w in self.words).strip()


class Conversation(BaseModel):
    """The call split by speaker, each speaker tagged rep or customer."""

    language: str
    duration_s: float = Field(ge=0)
    method: str = Field(description="How speakers were found: 'channels' (stereo) or 'diarization' (mono).")
    role_rule: str = Field(description="How roles were assigned, in words.")
    roles: dict[str, Role] = Field(description="Speaker label → role.")
    turns: list[tuple[float, float, str]] = Field(
        default_factory=list, description="Speech turns (start, end, speaker) as the speaker split found them."
    )
    utterances: list[Utterance]

    def text_of(self, role: Role) -> str:
        return " ".join(u.text for u in self.utterances if u.role == role)
