"""Validating the proposals of one call against the team's field schema before a rep sees them.

Every proposal is coerced to its field's type (`crm_fill.coerce`); what does not fit, names no field of the schema,
or loses to a better proposal for a single-valued field comes back as a RejectedValue with the reason; so does a
date sooner after the call than the field's `min_days_after_call` allows.
For a single-valued field the kept proposal is the rule's over the LLM's (rules quote what was said), then the more
confident, then the later said (customers correct themselves); proposals with the same value are merged first.
For a `multiple` field all values are merged into one list, rule values first in the order they were said, each
listed once; the list carries its least confident value's confidence, since a rep accepts or corrects it whole (a
product the customer named beside one the rep only offered is not a list to accept unread).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from crm_fill.coerce import InvalidValue, coerce_value
from models import CallInfo, FieldProposal, FieldSchema, FieldSpec

RULE = "rule"


@dataclass(frozen=True)
class RejectedValue:
    field: str
    value: object
    reason: str


def _rank(proposal: FieldProposal) -> tuple[bool, float, float]:
    said_at = max((evidence.start or 0.0 for evidence in proposal.evidence), default=0.0)
    return proposal.source == RULE, proposal.confidence, said_at


def _merge(proposals: Sequence[FieldProposal], value: object) -> FieldProposal:
    """One proposal carrying `value`, the evidence of all of `proposals` and the best one's source and confidence."""
    best = max(proposals, key=_rank)
    evidence = [item for proposal in proposals for item in proposal.evidence]
    unique = [item for index, item in enumerate(evidence) if item not in evidence[:index]]
    return best.model_copy(update={"value": value, "evidence": unique})


def _first_said(proposal: FieldProposal) -> float:
    return min((evidence.start or 0.0 for evidence in proposal.evidence), default=float("inf"))


def _merge_multiple(proposals: Sequence[FieldProposal]) -> FieldProposal:
    ordered = sorted(proposals, key=lambda proposal: (proposal.source != RULE, _first_said(proposal)))
    values: list[str] = []
    for proposal in ordered:
        assert isinstance(proposal.value, list), "coerce_value gives a multiple field a list"
        values.extend(item for item in proposal.value if item not in values)
    merged = _merge(ordered, values)
    return merged.model_copy(update={"confidence": min(proposal.confidence for proposal in proposals)})


def _pick_single(spec: FieldSpec, proposals: Sequence[FieldProposal]) -> tuple[FieldProposal, list[RejectedValue]]:
    by_value: dict[str, list[FieldProposal]] = {}
    for proposal in proposals:
        by_value.setdefault(repr(proposal.value), []).append(proposal)
    candidates = [_merge(group, group[0].value) for group in by_value.values()]
    best = max(candidates, key=_rank)
    superseded = [
        RejectedValue(spec.name, candidate.value, f"superseded by {best.value!r} ({best.source})")
        for candidate in candidates
        if candidate is not best
    ]
    return best, superseded


def _too_soon(value: object, spec: FieldSpec, call: CallInfo) -> bool:
    """Whether a date falls inside the field's `min_days_after_call` (a date of the call's own week)."""
    reference = call.reference_time()
    if not spec.min_days_after_call or reference is None or not isinstance(value, date):
        return False
    return value < reference.date() + timedelta(days=spec.min_days_after_call)


def normalize_proposals(
    proposals: Sequence[FieldProposal], schema: FieldSchema, call: CallInfo
) -> tuple[list[FieldProposal], list[RejectedValue]]:
    """At most one proposal per field, in schema order, each with a value of its field's type; and what was dropped."""
    reference = call.reference_time()
    specs = {spec.name: spec for spec in schema.fields}
    valid: dict[str, list[FieldProposal]] = {}
    rejected: list[RejectedValue] = []
    for proposal in proposals:
        spec = specs.get(proposal.field)
        if spec is None:
            reason = f"no field '{proposal.field}' in field schema '{schema.id}' {schema.version}"
            rejected.append(RejectedValue(proposal.field, proposal.value, reason))
            continue
        try:
            value = coerce_value(proposal.value, spec, reference, call.language)
        except InvalidValue as exc:
            rejected.append(RejectedValue(proposal.field, proposal.value, str(exc)))
            continue
        if _too_soon(value, spec, call):
            reason = f"{value} is less than {spec.min_days_after_call} days after the call"
            rejected.append(RejectedValue(proposal.field, proposal.value, reason))
            continue
        valid.setdefault(spec.name, []).append(proposal.model_copy(update={"value": value}))
    kept: list[FieldProposal] = []
    for spec in schema.fields:
        group = valid.get(spec.name)
        if not group:
            continue
        if spec.multiple:
            kept.append(_merge_multiple(group))
            continue
        best, superseded = _pick_single(spec, group)
        kept.append(best)
        rejected.extend(superseded)
    return kept, rejected
