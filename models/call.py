from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field, model_validator


class CallDirection(StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    unknown = "unknown"


class ChannelLayout(BaseModel):
    """Which channel of a stereo recording carries the rep and which the customer (0-based)."""

    rep: int = Field(ge=0, le=1)
    customer: int = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _distinct(self) -> "ChannelLayout":
        if self.rep == self.customer:
            raise ValueError("rep and customer must be on different channels")
        return self

    @classmethod
    def parse(cls, text: str) -> "ChannelLayout":
        """Parse 'agent=1,customer=0' (also 'rep=1,customer=0')."""
        parts: dict[str, int] = {}
        for chunk in text.split(","):
            key, sep, value = chunk.partition("=")
            key = key.strip().lower()
            if not sep or key not in {"agent", "rep", "customer"} or not value.strip().isdigit():
                raise ValueError(f"expected 'agent=N,customer=M', got {text!r}")
            parts["rep" if key in {"agent", "rep"} else "customer"] = int(value)
        if set(parts) != {"rep", "customer"}:
            raise ValueError(f"expected both agent and customer channels, got {text!r}")
        return cls(**parts)


class CallInfo(BaseModel):
    """Who and what a call belongs to: given by the PBX webhook, a --meta file or the team directory."""

    call_id: str | None = Field(default=None, description="The telephony provider's call id, if known.")
    started_at: AwareDatetime | None = Field(default=None, description="When the call started, with its offset.")
    timezone: str | None = Field(default=None, description="IANA time zone of the team, e.g. 'Europe/Moscow'.")
    direction: CallDirection = CallDirection.unknown
    from_number: str | None = None
    to_number: str | None = None
    rep_id: str | None = None
    rep_name: str | None = None
    rep_extension: str | None = None
    team: str | None = None
    crm_lead_id: str | None = None
    crm_deal_id: str | None = None
    language: str | None = Field(default=None, description="'ru', 'en', or None to detect.")
    channels: ChannelLayout | None = None

    def reference_time(self) -> datetime | None:
        """The moment relative dates ('next Tuesday') are resolved against, in the call's time zone."""
        if self.started_at is None:
            return None
        if self.timezone:
            from zoneinfo import ZoneInfo

            return self.started_at.astimezone(ZoneInfo(self.timezone))
        return self.started_at
