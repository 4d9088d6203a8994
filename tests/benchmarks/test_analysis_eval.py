"""The analyze-stage evaluation's scoring on small hand-made inputs (benchmarks/analysis_metrics.py), and its
builder of Conversations from text turns."""

import pytest

from benchmarks.analysis_data import DataMissing, conversation, load_hvb, load_ru
from benchmarks.analysis_metrics import (
    Calibration,
    FieldCounts,
    ItemCounts,
    comparable,
    lcs_length,
    quote_found,
    rouge_l,
    rouge_l_multi,
    tokens,
)
from models import Role


def test_precision_and_recall_of_single_and_multiple_values():
    counts = FieldCounts()
    counts.add({"patricia brown"}, {"patricia brown"})  # right
    counts.add({"harper valley"}, {"mary smith"})  # wrong value: a false positive and a false negative
    counts.add(set(), {"john garcia"})  # missed
    counts.add({"robert"}, set())  # proposed where nothing was said
    assert (counts.tp, counts.fp, counts.fn) == (1, 2, 2)
    assert counts.precision == pytest.approx(1 / 3)
    assert counts.recall == pytest.approx(1 / 3)
    multi = FieldCounts()
    multi.add({"hubspot", "zoho"}, {"hubspot", "bitrix24"})
    assert (multi.tp, multi.fp, multi.fn) == (1, 1, 1)
    assert FieldCounts().precision is None and FieldCounts().recall is None


def test_values_are_compared_by_kind():
    assert comparable("Patricia  Brown,") == comparable("patricia brown")
    assert comparable("150000 RUB", "money") == comparable("150000", "money") == "150000"
    assert comparable("135 USD", "money") == comparable(135, "money")
    assert comparable("+19776252661", "phone") == comparable("(977) 625-2661", "phone")
    assert comparable("+79161234567", "phone") != comparable("+79161234568", "phone")


def test_item_agreement_counts_undecided_items_as_misses():
    items = ItemCounts()
    items.add("greeting", "yes", "yes")
    items.add("budget", "no", "yes")
    items.add("timeline", "not_determined", "no")
    items.add("objection_handled", "n/a", "n/a")
    assert items.agreement == pytest.approx(2 / 4)
    assert items.agreement_decided == pytest.approx(2 / 3)
    assert items.per_item["budget"] == [0, 1]


def test_rouge_l_against_hand_computed_values():
    assert lcs_length(["a", "b", "c", "d", "e"], ["a", "c", "e", "f"]) == 3
    # candidate 4 tokens, reference 6, LCS "the cat the mat" = 4: P = 1, R = 4/6, F = 0.8
    assert rouge_l("the cat the mat", "the cat sat on the mat") == pytest.approx(0.8)
    assert rouge_l("", "anything") == 0.0
    assert rouge_l("nothing shared", "other words") == 0.0
    best, mean = rouge_l_multi("the cat the mat", ["the cat sat on the mat", "dogs bark"])
    assert best == pytest.approx(0.8) and mean == pytest.approx(0.4)


def test_quotes_are_found_as_contiguous_words():
    transcript = tokens("Hello, this is Harper Valley bank. My name is Elizabeth!")
    assert quote_found("my name is elizabeth", transcript)
    assert quote_found("Harper Valley  bank", transcript)
    assert not quote_found("my name is Mary", transcript)
    assert not quote_found("hello bank", transcript)
    assert not quote_found("", transcript)


def test_conversation_from_text_turns_keeps_order_and_timing():
    conv = conversation(
        "en", [(Role.rep, "hello how can I help", None, None), (Role.customer, "hi my name is ann", 3.0, 5.0)]
    )
    rep, customer = conv.utterances
    assert rep.role == Role.rep and len(rep.words) == 5 and rep.start == 0.5
    assert customer.words[0].start == 3.0 and customer.words[-1].end <= 5.0
    assert conv.duration_s >= customer.end


def test_written_russian_calls_load_with_labels():
    calls = load_ru()
    assert len(calls) == 20
    assert all(call.conversation.language == "ru" and call.items and call.fields for call in calls)
    assert {answer for call in calls for answer in call.items.values()} == {"yes", "no", "n/a"}


def test_a_missing_shared_data_folder_is_named(tmp_path):
    with pytest.raises(DataMissing, match="calls_en/hvb not found"):
        load_hvb(tmp_path / "shared" / "data")


def test_turns_with_short_pauses_join_into_one_utterance():
    turns = [
        (Role.rep, "what is your phone number", 0.0, 1.5),
        (Role.customer, "seven one five", 2.0, 3.0),
        (Role.customer, "one three nine", 3.8, 4.8),
        (Role.customer, "zero seven eight seven", 9.0, 10.0),
    ]
    utterances = conversation("en", turns, join_within_s=1.5).utterances
    assert [u.text for u in utterances] == [
        "what is your phone number",
        "seven one five one three nine",
        "zero seven eight seven",
    ]
    assert utterances[1].start == 2.0 and utterances[1].end <= 4.8
    assert len(conversation("en", turns).utterances) == 4


def test_calibration_counts_values_per_confidence_bucket():
    calibration = Calibration()
    for confidence, right in [(0.95, True), (0.9, True), (0.85, False), (0.8, True), (0.7, True), (0.6, False)]:
        calibration.add(confidence, right)
    calibration.add(0.3, False)
    assert calibration.buckets() == [("< 0.5", 1, 0), ("0.5–0.8", 2, 1), (">= 0.8", 4, 3)]
    assert calibration.at_least(0.8) == (4, pytest.approx(0.75))
    assert calibration.at_least(0.9) == (2, pytest.approx(1.0))
    assert Calibration().at_least() == (0, None)
    merged = Calibration()
    merged.merge(calibration)
    assert merged.buckets() == calibration.buckets()
