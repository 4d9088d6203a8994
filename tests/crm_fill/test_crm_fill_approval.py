from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from crm_fill.approval import DecisionError, approved_values, decide
from crm_fill.coerce import InvalidValue
from crm_fill.schema import builtin_field_schema
from models import Evidence, FieldProposal, ProposalStatus

SCHEMA = builtin_field_schema()


def proposal(field: str, value: object) -> FieldProposal:
    quote = Evidence(quote="about fifty thousand dollars", start=12.0, end=13.5)
    return FieldProposal(field=field, value=value, evidence=[quote], confidence=0.9, source="rule")


def test_approve_edit_reject_transitions():
    budget = proposal("budget", "50000 USD")
    spec = SCHEMA.field("budget")
    approved = decide(budget, "approve", spec=spec)
    assert (approved.status, approved.value) == (ProposalStatus.approved, "50000 USD")
    edited = decide(approved, "edit", edited_value="60 000 $", spec=spec)
    assert (edited.status, edited.value) == (ProposalStatus.edited, "60000 USD")
    assert edited.evidence == budget.evidence and edited.source == "rule" and edited.confidence == 0.9
    assert decide(edited, "approve", spec=spec).status == ProposalStatus.edited
    rejected = decide(edited, "reject", spec=spec)
    assert (rejected.status, rejected.value) == (ProposalStatus.rejected, "60000 USD")
    assert decide(rejected, "approve", spec=spec).status == ProposalStatus.approved
    assert budget.status == ProposalStatus.proposed, "decisions return new proposals"


def test_edited_values_go_through_the_field_checks():
    stage = proposal("deal_stage_suggestion", "proposal")
    spec = SCHEMA.field("deal_stage_suggestion")
    assert decide(stage, "edit", edited_value="NEGOTIATION", spec=spec).value == "negotiation"
    with pytest.raises(InvalidValue, match="'signed' is not one of"):
        decide(stage, "edit", edited_value="signed", spec=spec)
    competitors = proposal("competitors_mentioned", ["HubSpot"])
    edited = decide(competitors, "edit", edited_value="hubspot; Битрикс", spec=SCHEMA.field("competitors_mentioned"))
    assert edited.value == ["HubSpot", "Bitrix24"]


def test_edited_relative_dates_need_the_call_start():
    step = proposal("next_step_date", date(2025, 2, 25))
    spec = SCHEMA.field("next_step_date")
    assert decide(step, "edit", edited_value="2025-03-03", spec=spec).value == date(2025, 3, 3)
    with pytest.raises(InvalidValue, match="relative"):
        decide(step, "edit", edited_value="next Friday", spec=spec)
    start = datetime(2025, 2, 19, 6, 1, 22, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert decide(step, "edit", edited_value="next Friday", spec=spec, reference=start).value == date(2025, 2, 28)


def test_misused_decisions_are_refused():
    budget = proposal("budget", "50000 USD")
    with pytest.raises(DecisionError, match="needs the edited value"):
        decide(budget, "edit", spec=SCHEMA.field("budget"))
    with pytest.raises(DecisionError, match="takes no edited value"):
        decide(budget, "approve", edited_value="1 USD", spec=SCHEMA.field("budget"))
    with pytest.raises(DecisionError, match="does not describe a proposal for 'budget'"):
        decide(budget, "approve", spec=SCHEMA.field("next_step"))
    with pytest.raises(DecisionError, match="unknown decision"):
        decide(budget, "postpone", spec=SCHEMA.field("budget"))  # type: ignore[arg-type]


def test_approved_values_are_the_approved_and_edited_ones():
    decided = [
        decide(proposal("budget", "50000 USD"), "edit", edited_value="55000 USD", spec=SCHEMA.field("budget")),
        decide(proposal("customer_email", "a@b.io"), "approve", spec=SCHEMA.field("customer_email")),
        decide(proposal("customer_phone", "+79161234567"), "reject", spec=SCHEMA.field("customer_phone")),
        proposal("next_step", "Send a quote"),
    ]
    assert approved_values(decided) == {"budget": "55000 USD", "customer_email": "a@b.io"}
    assert approved_values([]) == {}
