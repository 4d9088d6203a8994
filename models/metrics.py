from pydantic import BaseModel, Field


class RoleMetrics(BaseModel):
    talk_time_s: float = Field(ge=0)
    talk_ratio: float = Field(ge=0, le=1, description="Share of all talk time.")
    longest_monologue_s: float = Field(ge=0)
    interruptions: int = Field(ge=0, description="Times this role started talking while the other was mid-turn.")
    questions: int = Field(ge=0)
    words: int = Field(ge=0)
    speech_rate_wpm: float = Field(ge=0)


class ConversationMetrics(BaseModel):
    duration_s: float = Field(ge=0)
    silence_share: float = Field(ge=0, le=1, description="Share of the call where nobody talks.")
    overlap_s: float = Field(ge=0, description="Seconds where both talk at once.")
    rep: RoleMetrics
    customer: RoleMetrics

    def value(self, name: str) -> float:
        """A metric by its dotted name as scripts use it, e.g. 'rep.talk_ratio' or 'silence_share'."""
        target: object = self
        for part in name.split("."):
            if not hasattr(target, part):
                raise KeyError(name)
            target = getattr(target, part)
        if not isinstance(target, int | float):
            raise KeyError(name)
        return float(target)
