"""The rep's decision on each proposed CRM value: approve it, edit it, or reject it.

A decision may be changed until the values are sent: any status can follow any other. Approving an edited
proposal keeps it `edited` (its value is the rep's, not the proposal's). An edited value goes through the same
checks as a proposed one (`crm_fill.coerce`); relative dates in it need the call's start as `reference`.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from crm_fill.coerce import coerce_value
from models import FieldProposal, FieldSpec, ProposalStatus
from models.errors import BadInput
from models.proposal import FieldValue

Decision = Literal["approve", "edit", "reject"]


class DecisionError(BadInput, ValueError):
    """A decision that cannot apply to the proposal it names; `field`, when known, is the field it was about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def decide(
    proposal: FieldProposal,
    decision: Decision,
    *,
    edited_value: object = None,
    spec: FieldSpec,
    reference: datetime | None = None,
) -> FieldProposal:
    """The proposal after the rep's decision; InvalidValue when an edited value does not fit the field."""
    if spec.name != proposal.field:
        raise DecisionError(f"field spec '{spec.name}' does not describe a proposal for '{proposal.field}'")
    if decision != "edit" and edited_value is not None:
        raise DecisionError(f"'{decision}' takes no edited value (field '{proposal.field}')")
    if decision == "approve":
        value = coerce_value(proposal.value, spec, reference)
        status = ProposalStatus.edited if proposal.status == ProposalStatus.edited else ProposalStatus.approved
        return proposal.model_copy(update={"value": value, "status": status})
    if decision == "edit":
        if edited_value is None:
            raise DecisionError(f"an edit of '{proposal.field}' needs the edited value")
        value = coerce_value(edited_value, spec, reference)
        return proposal.model_copy(update={"value": value, "status": ProposalStatus.edited})
    if decision == "reject":
        return proposal.model_copy(update={"status": ProposalStatus.rejected})
    raise DecisionError(f"unknown decision '{decision}': expected approve, edit or reject")


def approved_values(proposals: Iterable[FieldProposal]) -> dict[str, FieldValue]:
    """Field → value of every approved or edited proposal, ready for the CRM; a later decision on a field wins."""
    accepted = {ProposalStatus.approved, ProposalStatus.edited}
    return {proposal.field: proposal.value for proposal in proposals if proposal.status in accepted}
