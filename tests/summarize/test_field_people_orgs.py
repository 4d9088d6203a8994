"""Decision makers named without a role or as a committee, competitors the customer buys from or is served by, and
phone numbers dictated in groups of numbers."""

from diarize.transcript_file import read_transcript
from models import FieldProposal
from pipeline.call_setup import resolve_fields
from summarize.extract_contacts import find_phones
from summarize.extract_orgs import find_competitors
from summarize.field_rules import extract_fields


def proposed(transcript: str, field: str) -> list[FieldProposal]:
    conversation = read_transcript(transcript, language="ru")
    return [p for p in extract_fields(conversation, resolve_fields("default"), "ru") if p.field == field]


def test_a_first_name_said_as_the_decider_is_the_decision_maker() -> None:
    found = proposed(
        "rep: А кто у вас принимает решение?\ncustomer: Решает Лариса, она у нас главная по кухне.\n", "decision_maker"
    )
    assert [(p.value, p.confidence) for p in found] == [("Лариса", 0.85)]


def test_a_committee_said_beside_the_speakers_own_part_is_the_committee() -> None:
    found = proposed(
        "rep: Кто принимает решение?\ncustomer: Нет, у нас совет решает, я главврач и финансовый директор.\n",
        "decision_maker",
    )
    assert "a committee" in [p.value for p in found]
    assert "the person on the call" not in [p.value for p in found]


def test_competitors_the_customer_buys_from_or_is_served_by_are_found() -> None:
    assert [m.value for m in find_competitors("Мясо сейчас у «ПродЭкспресса» берём.", "ru")] == ["ПродЭкспресс"]
    assert [m.value for m in find_competitors("Мы вообще-то в «Айболит-Центре» наблюдаемся.", "ru")] == [
        "Айболит-Центр"
    ]
    assert [m.value for m in find_competitors("столешницу мы уже заказали в каменьмастере", "ru")] == ["Каменьмастер"]


def test_a_phone_dictated_in_groups_of_numbers_is_read() -> None:
    said = "пишите восемь девятьсот двадцать шесть триста десять сорок пять ноль семь это мой мобильный"
    assert [m.value for m in find_phones(said, "ru")] == ["+79263104507"]
    # Amounts and counts in a row are not a phone.
    assert find_phones("бюджет двести тысяч, сто двадцать человек, сорок пять камер", "ru") == []
