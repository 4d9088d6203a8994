"""Scores for the analyze-stage evaluation: field precision/recall, script-item agreement, ROUGE-L, grounded quotes.

Field values are compared after `comparable`: letter case, punctuation and spacing do not count; money is compared
by its amount, phone numbers by their last ten digits. A single-valued field counts one true positive when the
proposed value equals the labelled one; a proposal that differs is both a false positive and a false negative.
Multi-valued fields are compared as sets.

Calibration asks whether a proposal's confidence means something: each proposed value of a labelled field counts
once, right when it is among the labelled values, in the bucket of its proposal's confidence.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits), the unit of ROUGE-L and of the quote check."""
    return _WORD.findall(text.casefold().replace("ё", "е"))


def comparable(value: object, kind: str = "text") -> str:
    """The form two values of a field are compared in."""
    text = str(value)
    if kind == "money":
        found = _AMOUNT.search(text.replace(",", "").replace(" ", ""))
        return f"{float(found.group()):g}" if found else ""
    if kind == "phone":
        return re.sub(r"\D", "", text)[-10:]
    return " ".join(tokens(text))


@dataclass
class FieldCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: Iterable[str], expected: Iterable[str]) -> None:
        got, want = set(predicted), set(expected)
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class ItemCounts:
    """Script answers against labels: `decided` excludes not_determined, `correct` is an exact match."""

    labelled: int = 0
    decided: int = 0
    correct: int = 0
    per_item: dict[str, list[int]] = field(default_factory=dict)

    def add(self, item_id: str, predicted: str, expected: str) -> None:
        self.labelled += 1
        self.decided += predicted != "not_determined"
        hit = predicted == expected
        self.correct += hit
        counts = self.per_item.setdefault(item_id, [0, 0])
        counts[0] += hit
        counts[1] += 1

    @property
    def agreement(self) -> float | None:
        """Share of labelled answers matched exactly (an undecided item counts as a miss)."""
        return self.correct / self.labelled if self.labelled else None

    @property
    def agreement_decided(self) -> float | None:
        """Share of decided answers that match their label."""
        return self.correct / self.decided if self.decided else None


CONFIDENCE_EDGES = (0.5, 0.8)
HIGH_CONFIDENCE = 0.8


@dataclass
class Calibration:
    """Proposed values by confidence: per bucket (below 0.5, 0.5 to 0.8, 0.8 and above) how many and how many right."""

    edges: tuple[float, ...] = CONFIDENCE_EDGES
    values: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, confidence: float, right: bool) -> None:
        self.values.append((confidence, right))

    def merge(self, other: "Calibration") -> None:
        self.values.extend(other.values)

    def buckets(self) -> list[tuple[str, int, int]]:
        """(label, values, right) per confidence bucket, lowest first; empty buckets included."""
        bounds = [None, *self.edges, None]
        rows = []
        for low, high in pairwise(bounds):
            inside = [
                right
                for confidence, right in self.values
                if (low is None or confidence >= low) and (high is None or confidence < high)
            ]
            label = f"< {high:g}" if low is None else f">= {low:g}" if high is None else f"{low:g}–{high:g}"
            rows.append((label, len(inside), sum(inside)))
        return rows

    def at_least(self, threshold: float = HIGH_CONFIDENCE) -> tuple[int, float | None]:
        """How many values were proposed with confidence >= `threshold`, and the share of them that were right."""
        inside = [right for confidence, right in self.values if confidence >= threshold]
        return len(inside), ratio(sum(inside), len(inside))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1) on word tokens: the longest common subsequence over candidate and reference lengths."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return 0.0
    lcs = lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l_multi(candidate: str, references: Sequence[str]) -> tuple[float, float]:
    """ROUGE-L F1 against several references: (best, mean)."""
    scores = [rouge_l(candidate, reference) for reference in references]
    return max(scores), sum(scores) / len(scores)


def quote_found(quote: str, transcript_tokens: Sequence[str]) -> bool:
    """Whether the quote's words occur, in order and contiguous, in the transcript's words."""
    wanted = tokens(quote)
    if not wanted:
        return False
    size = len(wanted)
    return any(list(transcript_tokens[i : i + size]) == wanted for i in range(len(transcript_tokens) - size + 1))


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None
