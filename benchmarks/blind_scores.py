"""Scores of one analysis against a blind-written call's labels, summed over a part.

Items: every labelled step counts in `agreement` (an answer equal to the label; a step the label says applies but
the system calls n/a or leaves undecided is wrong). `decided` is the share of steps the label says apply that got
yes or no, `decided_right` the share of those answers equal to the label.

Fields: a proposed value is right when it matches the label as a person would read it:
- budget: the same amount (within 1 %); the label's period is the customer's own words, the amount is compared;
- dates: the same day;
- decision maker: the person on the call when the label says so; else the schema's `director` / `a committee`
  for a label role naming a head or a group, or a word of the label's name or role (first five letters, so
  Russian case endings do not count) in the proposed value;
- competitors and products: case-insensitive, a fuzzy ratio of at least 85 or one name inside the other;
- phone: the last ten digits; e-mail: case-insensitive; deal stage: equal.
Single-valued fields: a right proposal is a true positive, a wrong one a false positive and (with a label) a false
negative. Calibration counts each proposed value once, right or not, in the bucket of its confidence; `coverage`
at a confidence is the right values proposed at it over all labelled values.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from benchmarks.analysis_metrics import (
    HIGH_CONFIDENCE,
    Calibration,
    FieldCounts,
    ItemCounts,
    quote_found,
    ratio,
    tokens,
)
from benchmarks.blind_set import BlindCall
from benchmarks.eval_set.check_calls import SIGNALS
from models import Analysis, Conversation

SCORED_FIELDS = (
    "budget",
    "decision_maker",
    "expected_close_date",
    "next_step_date",
    "competitors_mentioned",
    "products_of_interest",
    "deal_stage_suggestion",
    "customer_phone",
    "customer_email",
)
HEAD_WORDS = (
    "директор",
    "гендиректор",
    "руковод",
    "собственник",
    "владел",
    "director",
    "ceo",
    "owner",
    "head",
    "chief",
)
GROUP_WORDS = ("комитет", "совет", "коллегиал", "вместе", "комисси", "committee", "board", "together", "partners")


@dataclass
class PartScore:
    calls: int = 0
    items: ItemCounts = field(default_factory=ItemCounts)
    applicable: int = 0
    applicable_decided: int = 0
    applicable_right: int = 0
    per_item: dict[str, Counter] = field(default_factory=dict)
    fields: dict[str, FieldCounts] = field(default_factory=dict)
    labelled_values: int = 0
    calibration: Calibration = field(default_factory=Calibration)
    confident: dict[str, Counter] = field(default_factory=dict)
    """Per field, the values proposed at >= 0.8 ('values') and how many of them were right ('right')."""
    signals: dict[str, FieldCounts] = field(default_factory=dict)
    quotes: int = 0
    quotes_found: int = 0

    def decided_share(self) -> float | None:
        return ratio(self.applicable_decided, self.applicable)

    def decided_right(self) -> float | None:
        return ratio(self.applicable_right, self.applicable_decided)

    def high_confidence(self) -> tuple[int, float | None, float | None]:
        """Values proposed at >= 0.8: how many, the share right, and the labelled values they cover."""
        count, right_share = self.calibration.at_least(HIGH_CONFIDENCE)
        right = sum(ok for confidence, ok in self.calibration.values if confidence >= HIGH_CONFIDENCE)
        return count, right_share, ratio(right, self.labelled_values)

    def summary(self) -> dict:
        count, right, coverage = self.high_confidence()
        signal_total = FieldCounts()
        for counts in self.signals.values():
            signal_total.tp += counts.tp
            signal_total.fp += counts.fp
            signal_total.fn += counts.fn
        return {
            "calls": self.calls,
            "item_agreement": self.items.agreement,
            "decided_share": self.decided_share(),
            "decided_right": self.decided_right(),
            "per_item": {item: dict(counts) for item, counts in sorted(self.per_item.items())},
            "fields": {
                name: {"precision": c.precision, "recall": c.recall, "tp": c.tp, "fp": c.fp, "fn": c.fn}
                for name, c in self.fields.items()
            },
            "high_confidence": {"values": count, "right": right, "coverage": coverage},
            "calibration": self.calibration.buckets(),
            "confident_per_field": {name: dict(counts) for name, counts in sorted(self.confident.items())},
            "signals": {
                name: {"precision": c.precision, "recall": c.recall, "tp": c.tp, "fp": c.fp, "fn": c.fn}
                for name, c in self.signals.items()
            },
            "signals_all": {"precision": signal_total.precision, "recall": signal_total.recall},
            "quotes_found": ratio(self.quotes_found, self.quotes),
        }


def add_call(score: PartScore, call: BlindCall, conversation: Conversation, analysis: Analysis) -> None:
    score.calls += 1
    _score_items(score, call, analysis)
    _score_fields(score, call, analysis)
    _score_signals(score, call, analysis)
    _score_quotes(score, conversation, analysis)


def _score_items(score: PartScore, call: BlindCall, analysis: Analysis) -> None:
    answers = {item.item_id: item.answer.value for item in analysis.scorecard.items}
    for item_id, label in call.items.items():
        predicted = answers.get(item_id, "not_determined")
        score.items.add(item_id, predicted, label)
        counts = score.per_item.setdefault(item_id, Counter())
        counts["labelled"] += 1
        counts["right"] += predicted == label
        if label != "n/a":
            decided = predicted in ("yes", "no")
            score.applicable += 1
            score.applicable_decided += decided
            score.applicable_right += decided and predicted == label
            counts["applies"] += 1
            counts["decided"] += decided


def _prefixes(text: str) -> set[str]:
    return {token[:5] for token in tokens(text) if len(token) >= 3}


def decision_maker_right(value: object, label: dict) -> bool:
    proposed = str(value).casefold()
    if proposed == "the person on the call":
        return bool(label.get("on_call"))
    described = " ".join(str(label.get(key) or "") for key in ("name", "role")).casefold()
    if proposed == "director":
        return any(word in described for word in HEAD_WORDS)
    if proposed == "a committee":
        return any(word in described for word in GROUP_WORDS)
    return bool(_prefixes(proposed) & _prefixes(described))


def name_matches(proposed: str, labelled: str) -> bool:
    a, b = proposed.casefold().strip(), labelled.casefold().strip()
    return fuzz.ratio(a, b) >= 85 or (min(len(a), len(b)) >= 3 and (a in b or b in a))


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def value_right(name: str, value: object, label: object) -> bool:
    if label is None:
        return False
    if name == "budget":
        try:
            amount = float(str(value).split()[0])  # "<amount> <currency code>": the amount is compared
        except (IndexError, ValueError):
            return False
        wanted = float(label["amount"])  # type: ignore[index]  # a budget label is a mapping
        return abs(amount - wanted) <= 0.01 * wanted
    if name == "decision_maker":
        return decision_maker_right(value, label)  # type: ignore[arg-type]  # a decision-maker label is a mapping
    if name in ("expected_close_date", "next_step_date"):
        return _as_date(value) is not None and _as_date(value) == _as_date(label)
    if name == "customer_phone":
        return re.sub(r"\D", "", str(value))[-10:] == re.sub(r"\D", "", str(label))[-10:]
    return str(value).casefold().strip() == str(label).casefold().strip()


def _score_fields(score: PartScore, call: BlindCall, analysis: Analysis) -> None:
    proposals = {p.field: p for p in analysis.proposals}
    for name in SCORED_FIELDS:
        counts = score.fields.setdefault(name, FieldCounts())
        label = call.fields.get(name)
        proposal = proposals.get(name)
        if name in ("competitors_mentioned", "products_of_interest"):
            wanted = [str(v) for v in label or []]
            got = [str(v) for v in (proposal.value if proposal and isinstance(proposal.value, list) else [])]
            if proposal and not isinstance(proposal.value, list):
                got = [str(proposal.value)]
            matched = {w for w in wanted if any(name_matches(g, w) for g in got)}
            right_got = [g for g in got if any(name_matches(g, w) for w in wanted)]
            counts.tp += len(matched)
            counts.fn += len(wanted) - len(matched)
            counts.fp += len(got) - len(right_got)
            score.labelled_values += len(wanted)
            for value in got:
                _add_value(score, name, proposal.confidence, value in right_got)  # type: ignore[union-attr]
            continue
        if label is not None:
            score.labelled_values += 1
        if proposal is None:
            counts.fn += label is not None
            continue
        right = value_right(name, proposal.value, label)
        counts.tp += right
        counts.fp += not right
        counts.fn += label is not None and not right
        _add_value(score, name, proposal.confidence, right)


def _add_value(score: PartScore, name: str, confidence: float, right: bool) -> None:
    score.calibration.add(confidence, right)
    if confidence >= HIGH_CONFIDENCE:
        counts = score.confident.setdefault(name, Counter())
        counts["values"] += 1
        counts["right"] += right


def _score_signals(score: PartScore, call: BlindCall, analysis: Analysis) -> None:
    raised = {signal.kind.value for signal in analysis.signals}
    for name in SIGNALS:
        counts = score.signals.setdefault(name, FieldCounts())
        counts.add([name] if name in raised else [], [name] if call.signals.get(name) else [])


def _score_quotes(score: PartScore, conversation: Conversation, analysis: Analysis) -> None:
    transcript = tokens(" ".join(u.text for u in conversation.utterances))
    evidence = [e for item in analysis.scorecard.items for e in item.evidence]
    evidence += [e for p in analysis.proposals for e in p.evidence]
    evidence += [e for s in analysis.signals for e in s.evidence]
    for quote in (e.quote for e in evidence if e.quote):
        score.quotes += 1
        score.quotes_found += quote_found(quote, transcript)
