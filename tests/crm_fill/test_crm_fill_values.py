from datetime import date

import pytest

from crm_fill.schema import builtin_field_schema
from crm_fill.values import RejectedValue, normalize_proposals
from models import CallInfo, Evidence, FieldProposal

STARTED = "2025-02-19T06:01:22-08:00"  # a Wednesday morning in Los Angeles, the same evening in Moscow


@pytest.fixture(scope="module")
def schema():
    return builtin_field_schema()


def proposal(field: str, value: object, *, source: str = "rule", confidence: float = 0.8, at: float = 1.0):
    quote = Evidence(quote=str(value), start=at, end=at + 1.0)
    return FieldProposal(field=field, value=value, evidence=[quote], confidence=confidence, source=source)


def kept_value(schema, call: CallInfo, field: str, value: object) -> object:
    kept, rejected = normalize_proposals([proposal(field, value)], schema, call)
    assert rejected == []
    assert [item.field for item in kept] == [field]
    return kept[0].value


LOS_ANGELES = CallInfo(started_at=STARTED, timezone="America/Los_Angeles", language="en")
MOSCOW = CallInfo(started_at=STARTED, timezone="Europe/Moscow", language="ru")


@pytest.mark.parametrize(
    ("call", "said", "expected"),
    [
        (LOS_ANGELES, "next Tuesday", date(2025, 2, 25)),
        (LOS_ANGELES, "end of next month", date(2025, 3, 31)),
        (LOS_ANGELES, "by the end of the month", date(2025, 2, 28)),
        (LOS_ANGELES, "tomorrow", date(2025, 2, 20)),
        (LOS_ANGELES, "Thursday next week", date(2025, 2, 27)),
        (LOS_ANGELES, "the first of April", date(2025, 4, 1)),
        (LOS_ANGELES, "in two weeks", date(2025, 3, 5)),
        (LOS_ANGELES, "end of next quarter", date(2025, 6, 30)),
        (MOSCOW, "в следующий вторник", date(2025, 2, 25)),
        (MOSCOW, "до конца месяца", date(2025, 2, 28)),
        (MOSCOW, "15 марта", date(2025, 3, 15)),
        (MOSCOW, "пятнадцатого марта", date(2025, 3, 15)),
        (MOSCOW, "к пятнице", date(2025, 2, 21)),
        (MOSCOW, "в начале апреля", date(2025, 4, 1)),
        (MOSCOW, "через две недели", date(2025, 3, 5)),
        (MOSCOW, "03.04.2025", date(2025, 4, 3)),
        (MOSCOW, "2025-03-15", date(2025, 3, 15)),
        (MOSCOW, "в октябре", date(2025, 10, 31)),
        (MOSCOW, "к октябрю", date(2025, 10, 1)),
        (MOSCOW, "в январе", date(2026, 1, 31)),
        (LOS_ANGELES, "in October", date(2025, 10, 31)),
        (LOS_ANGELES, "by October", date(2025, 10, 1)),
    ],
)
def test_dates_resolve_against_the_call(schema, call, said, expected):
    assert kept_value(schema, call, "next_step_date", said) == expected


def test_relative_dates_use_the_call_time_zone(schema):
    late_evening = "2025-02-19T23:30:00-08:00"  # already Thursday in Moscow
    in_los_angeles = CallInfo(started_at=late_evening, timezone="America/Los_Angeles")
    in_moscow = CallInfo(started_at=late_evening, timezone="Europe/Moscow")
    assert kept_value(schema, in_los_angeles, "next_step_date", "tomorrow") == date(2025, 2, 20)
    assert kept_value(schema, in_moscow, "next_step_date", "завтра") == date(2025, 2, 21)
    assert kept_value(schema, in_moscow, "next_step_date", "в пятницу") == date(2025, 2, 21)
    assert kept_value(schema, in_los_angeles, "next_step_date", "on Friday") == date(2025, 2, 21)


def test_without_a_call_date_relative_dates_are_rejected_and_absolute_kept(schema):
    undated = CallInfo()
    proposals = [
        proposal("next_step_date", "next Tuesday"),
        proposal("expected_close_date", "15 марта"),
        proposal("expected_close_date", "March 15th, 2025", at=5.0),
    ]
    kept, rejected = normalize_proposals(proposals, schema, undated)
    assert [(item.field, item.value) for item in kept] == [("expected_close_date", date(2025, 3, 15))]
    assert {item.value for item in rejected} == {"next Tuesday", "15 марта"}
    assert all("relative" in item.reason and "unknown" in item.reason for item in rejected)


def test_a_close_date_in_the_call_week_is_rejected_as_the_next_meeting(schema):
    proposals = [
        proposal("expected_close_date", "в пятницу", confidence=0.6, at=9.0),
        proposal("expected_close_date", "до конца марта", confidence=0.6, at=3.0),
        proposal("next_step_date", "в пятницу", at=9.0),
    ]
    kept, rejected = normalize_proposals(proposals, schema, MOSCOW)
    assert [(item.field, item.value) for item in kept] == [
        ("expected_close_date", date(2025, 3, 31)),
        ("next_step_date", date(2025, 2, 21)),
    ]
    assert rejected == [
        RejectedValue("expected_close_date", "в пятницу", "2025-02-21 is less than 7 days after the call")
    ]


def test_words_that_are_no_date_are_rejected(schema):
    kept, rejected = normalize_proposals([proposal("next_step_date", "as soon as possible")], schema, LOS_ANGELES)
    assert kept == []
    assert rejected == [RejectedValue("next_step_date", "as soon as possible", "'as soon as possible' is not a date")]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("$50,000", "50000 USD"),
        ("50 000 рублей", "50000 RUB"),
        ("1,5 млн ₽", "1500000 RUB"),
        ("50 тыс. руб.", "50000 RUB"),
        ("1.5 million USD", "1500000 USD"),
        ("50000 RUB", "50000 RUB"),
        (75000, "75000"),
    ],
)
def test_money_is_normalised(schema, said, expected):
    assert kept_value(schema, LOS_ANGELES, "budget", said) == expected


def test_money_that_is_not_an_amount_is_rejected(schema):
    kept, rejected = normalize_proposals([proposal("budget", "a lot")], schema, LOS_ANGELES)
    assert kept == []
    assert rejected[0].field == "budget" and "not a money amount" in rejected[0].reason


def test_enum_values_match_case_and_phrases_and_reject_others(schema):
    assert kept_value(schema, LOS_ANGELES, "deal_stage_suggestion", "Negotiation") == "negotiation"
    proposals = [
        proposal("deal_stage_suggestion", "almost signed", source="llm"),
        proposal("competitors_mentioned", ["salesforce", "Битрикс", "Monday.com"], source="llm"),
    ]
    kept, rejected = normalize_proposals(proposals, schema, LOS_ANGELES)
    # Competitors are an open list: known names take their spelling, any other organisation is kept as said.
    assert [(item.field, item.value) for item in kept] == [
        ("competitors_mentioned", ["Salesforce", "Bitrix24", "Monday.com"]),
    ]
    assert [(item.field, item.value) for item in rejected] == [("deal_stage_suggestion", "almost signed")]
    assert "'almost signed' is not one of: qualification, needs_analysis" in rejected[0].reason


def test_multiple_values_merge_rule_first_in_order_said(schema):
    proposals = [
        proposal("competitors_mentioned", "hubspot", source="llm", at=2.0),
        proposal("competitors_mentioned", "Bitrix24", at=9.0),
        proposal("competitors_mentioned", "Salesforce", at=3.0),
        proposal("competitors_mentioned", "Salesforce, Битрикс24", source="llm", at=4.0),
    ]
    kept, rejected = normalize_proposals(proposals, schema, LOS_ANGELES)
    assert rejected == []
    assert len(kept) == 1
    assert kept[0].value == ["Salesforce", "Bitrix24", "HubSpot"]
    assert kept[0].source == "rule"
    assert len(kept[0].evidence) == 4


def test_rule_value_wins_over_llm_unless_invalid(schema):
    both = [
        proposal("budget", "70000 USD", source="llm", confidence=0.95, at=30.0),
        proposal("budget", "$50,000", source="rule", confidence=0.9, at=10.0),
    ]
    kept, rejected = normalize_proposals(both, schema, LOS_ANGELES)
    assert [(item.value, item.source) for item in kept] == [("50000 USD", "rule")]
    assert rejected == [RejectedValue("budget", "70000 USD", "superseded by '50000 USD' (rule)")]
    invalid_rule = [
        proposal("budget", "70000 USD", source="llm", confidence=0.6),
        proposal("budget", "some money", source="rule", confidence=0.9),
    ]
    kept, rejected = normalize_proposals(invalid_rule, schema, LOS_ANGELES)
    assert [(item.value, item.source) for item in kept] == [("70000 USD", "llm")]
    assert [item.value for item in rejected] == ["some money"]


def test_same_value_said_twice_is_one_proposal(schema):
    proposals = [proposal("next_step_date", "Tuesday", at=3.0), proposal("next_step_date", "next Tuesday", at=8.0)]
    kept, rejected = normalize_proposals(proposals, schema, LOS_ANGELES)
    assert rejected == []
    assert [item.value for item in kept] == [date(2025, 2, 25)]
    assert [evidence.start for evidence in kept[0].evidence] == [3.0, 8.0]


def test_unknown_fields_and_empty_strings_are_rejected(schema):
    proposals = [
        proposal("favourite_colour", "blue", source="llm"),
        proposal("next_step", "   ", source="llm"),
        proposal("pain_points", "  Reps forget to log calls. ", source="llm"),
    ]
    kept, rejected = normalize_proposals(proposals, schema, LOS_ANGELES)
    assert [(item.field, item.value) for item in kept] == [("pain_points", "Reps forget to log calls.")]
    assert rejected[0] == RejectedValue(
        "favourite_colour", "blue", "no field 'favourite_colour' in field schema 'default' 1.1"
    )
    assert rejected[1].field == "next_step" and rejected[1].reason == "the value is empty"


def test_kept_proposals_follow_schema_order(schema):
    proposals = [
        proposal("customer_email", "a@b.io"),
        proposal("budget", "$5k"),
        proposal("next_step", "Send the proposal", source="llm"),
    ]
    kept, _ = normalize_proposals(proposals, schema, LOS_ANGELES)
    assert [item.field for item in kept] == ["budget", "next_step", "customer_email"]
    assert kept[0].value == "5000 USD"
