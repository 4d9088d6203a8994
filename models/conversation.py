from enum import StrEnum

from pydantic import BaseModel, Field

from models.transcript import Word


class Role(StrEnum):
    rep = "rep"
    customer = "customer"
    unknown = "unknown"


class NonSpeaker(StrEnum):
    """A voice in the recording that is not a person in the conversation."""

    ivr = "ivr"
    voicemail = "voicemail"
    no_words = "no_words"
    """A voice the recogniser found no words in: hold music, a tone, line noise."""


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
    non_speakers: dict[str, NonSpeaker] = Field(
        default_factory=dict,
        description="Speaker label → what it is, for voices that are not people in the call (IVR, voicemail, music).",
    )
    one_sided: bool = Field(
        default=False, description="Only one side was recorded: one voice, silent where the other side speaks."
    )

    def people_only(self) -> "Conversation":
        """The conversation without the non-speakers' utterances: what talk metrics and the scorecard read."""
        if not self.non_speakers:
            return self
        kept = [u for u in self.utterances if u.speaker not in self.non_speakers]
        return self.model_copy(update={"utterances": kept})

    def text_of(self, role: Role) -> str:
        return " ".join(u.text for u in self.utterances if u.role == role)
