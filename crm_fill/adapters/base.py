"""The interface every CRM adapter implements, and the write-then-read-back flow they share.

An adapter finds the deal a call belongs to (by the deal id the PBX or the rep gave, or by the customer's phone
number), writes the values the rep approved into the deal, reads the deal back and compares, and logs the call
(recording link, duration, direction, summary) on the deal. Only proposals whose status is approved or edited
are sent: pending and rejected ones never leave, whatever list the caller passes in.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from crm_fill.adapters.errors import DealNotFound
from crm_fill.adapters.mapping import FieldMap, FieldMapping, comparable
from crm_fill.approval import approved_values
from models import CallDirection, FieldProposal
from models.proposal import FieldValue

log = logging.getLogger(__name__)


class CallLog(BaseModel):
    """A call as the CRM's call history shows it."""

    call_id: str = Field(description="Our call id: the CRM's de-duplication key where it has one.")
    started_at: datetime
    duration_s: int = Field(ge=0)
    direction: CallDirection
    phone: str = Field(description="The customer's number.")
    recording_url: str | None = None
    summary: str = Field(default="", description="What the call came to: the summary and next step, in words.")
    rep_crm_user_id: str | None = Field(default=None, description="The rep's user id in the CRM.")


class FieldMismatch(BaseModel):
    """A field whose value, read back after the write, is not what was sent."""

    field: str
    crm_field: str
    sent: Any
    stored: Any


class WriteResult(BaseModel):
    deal_id: str
    sent: dict[str, Any] = Field(default_factory=dict, description="Our field → the value sent, in the CRM's form.")
    mismatches: list[FieldMismatch] = Field(default_factory=list)
    verified: bool = Field(description="Whether the values were read back (a plain webhook may not answer them).")

    @property
    def ok(self) -> bool:
        return self.verified and not self.mismatches


class CRMAdapter(ABC):
    """One CRM account. Subclasses implement the requests; `write` is the same for every CRM."""

    crm: ClassVar[str]

    def __init__(self, field_map: FieldMap):
        if field_map.crm != self.crm:
            raise ValueError(f"a {field_map.crm} field map cannot drive the {self.crm} adapter")
        self.field_map = field_map

    def find_deal(self, *, deal_id: str | None = None, phone: str | None = None) -> str:
        """The id of the deal: the given id when the CRM has it, else the newest deal of the phone's contact."""
        if deal_id:
            if self.read_deal(deal_id) is not None:
                return deal_id
            if not phone:
                raise DealNotFound(self.crm, f"no deal {deal_id}")
        if not phone:
            raise DealNotFound(self.crm, "neither a deal id nor a phone number to look the deal up by")
        found = self.deals_by_phone(phone)
        if not found:
            raise DealNotFound(self.crm, "no deal linked to the call's phone number")
        return max(found, key=lambda deal: (len(deal), deal))

    def write(self, deal_id: str, proposals: Iterable[FieldProposal]) -> WriteResult:
        """Send the approved values to the deal, read it back, and report every field the CRM did not keep."""
        approved = approved_values(proposals)
        if not approved:
            return WriteResult(deal_id=deal_id, verified=True)
        mappings = [self.field_map.mapping(field) for field in approved]
        sent = {mapping.field: self.to_crm(mapping, approved[mapping.field]) for mapping in mappings}
        stored = self.update_deal(deal_id, {mapping.crm_field: sent[mapping.field] for mapping in mappings})
        if stored is None:
            stored = self.read_deal(deal_id)
            if stored is None:
                raise DealNotFound(self.crm, f"deal {deal_id} is gone after the write")
        elif not stored:
            return WriteResult(deal_id=deal_id, sent=sent, verified=False)
        mismatches = []
        for mapping in mappings:
            kept = self.stored_value(mapping, stored)
            if comparable(kept) != comparable(self.comparable_sent(mapping, sent[mapping.field])):
                mismatches.append(
                    FieldMismatch(
                        field=mapping.field, crm_field=mapping.crm_field, sent=sent[mapping.field], stored=kept
                    )
                )
        for mismatch in mismatches:
            log.warning(
                "%s deal %s: field '%s' (%s) reads back %r after writing %r",
                self.crm, deal_id, mismatch.field, mismatch.crm_field, mismatch.stored, mismatch.sent,
            )  # fmt: skip
        return WriteResult(deal_id=deal_id, sent=sent, mismatches=mismatches, verified=True)

    def comparable_sent(self, mapping: FieldMapping, sent: Any) -> Any:
        """What `stored_value` should give back for a field written with `sent`; the value itself by default."""
        return sent

    @abstractmethod
    def to_crm(self, mapping: FieldMapping, value: FieldValue) -> Any:
        """One approved value in the form this CRM's API takes for the mapped field."""

    @abstractmethod
    def read_deal(self, deal_id: str) -> dict[str, Any] | None:
        """The deal's record as the CRM answers it, None when there is no such deal."""

    @abstractmethod
    def deals_by_phone(self, phone: str) -> list[str]:
        """Ids of the deals linked to contacts with this phone number."""

    @abstractmethod
    def update_deal(self, deal_id: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """Write CRM field id → value. Returns the stored record when the write answer carries it, {} when the
        values cannot be read back at all, None when `read_deal` must fetch them."""

    @abstractmethod
    def stored_value(self, mapping: FieldMapping, record: dict[str, Any]) -> Any:
        """The mapped field's value in a record, in the form `comparable_sent` gives for the value sent."""

    @abstractmethod
    def log_call(self, deal_id: str, call: CallLog) -> str:
        """Add the call to the deal's history; returns the CRM's id for it."""

    @abstractmethod
    def close(self) -> None:
        """Release the HTTP connections."""
