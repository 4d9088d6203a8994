"""What the deal sync asks of one CRM (services.deals.amocrm, bitrix24, hubspot): its pipelines with their stages,
its users, the deals changed since a moment page by page, the deals it deleted, named deals (for a webhook) and the
past values of new deals' stage, amount, owner and close date (the history backfill)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from models.deals import DealRecord, StageOutcome


@dataclass
class StageInfo:
    external_id: str
    name: str
    outcome: StageOutcome | None = None  # None: the CRM does not say; the mapping made on the admin page stays
    probability: float | None = None  # 0..1, where the CRM sets one


@dataclass
class PipelineInfo:
    external_id: str
    name: str
    stages: list[StageInfo] = field(default_factory=list)


@dataclass
class UserInfo:
    external_id: str
    name: str | None
    email: str | None


@dataclass
class PastValue:
    """A deal's field as it stood from `at` on. A stage is named with its pipeline, since amoCRM's and Bitrix24's
    stage ids are only unique within one."""

    deal: str
    field: str  # stage, amount, owner or close_date
    at: datetime
    stage: tuple[str, str] | None = None  # (pipeline, stage)
    amount: Decimal | None = None
    currency: str | None = None
    owner: str | None = None
    close_date: date | None = None


@dataclass
class Deletions:
    """Deals the CRM deleted since the last pass; `live` (every deal id the CRM still has), where the CRM lists
    no deletions but could list every deal, lets the sync mark the rest deleted."""

    ids: list[str] = field(default_factory=list)
    newest: datetime | None = None
    live: set[str] | None = None


class DealSource(Protocol):
    def pipelines(self) -> list[PipelineInfo]: ...

    def users(self) -> Iterator[UserInfo]: ...

    def deal_pages(self, since: datetime | None) -> Iterator[list[DealRecord]]:
        """Deals modified at or after `since` (all when None), oldest change first."""
        ...

    def deals(self, ids: list[str]) -> list[DealRecord]:
        """These deals as they stand now; a deleted one is left out."""
        ...

    def deletions(self, since: datetime | None, *, full: bool) -> Deletions: ...

    def history(self, deals: list[DealRecord]) -> list[PastValue]: ...

    def close(self) -> None: ...
