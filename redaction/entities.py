"""The kinds of personal data callintel redacts and the placeholder each is replaced by."""

from dataclasses import dataclass
from enum import StrEnum


class PiiType(StrEnum):
    phone = "phone"
    email = "email"
    card = "card"
    passport = "passport"
    snils = "snils"
    inn = "inn"

    @property
    def placeholder(self) -> str:
        return f"[{self.value.upper()}]"


@dataclass(frozen=True)
class PiiSpan:
    """Characters [start, end) of a text that hold one piece of personal data."""

    start: int
    end: int
    type: PiiType
