"""Accuracy and speed of the analyze stage (scorecard, CRM field proposals, summary) on labelled calls.

    python -m benchmarks.analysis_eval [--llm none|starter] [--limit N] [--sets hvb,abcd,dialogsum,ru] [--out F.json]

Each call runs as `callintel process` runs its analyze stage: rule field proposals (`extract_fields`), then
`analyze` with the script and field schema, then `normalize_proposals`. English sets use the evaluation script and
field schema in `eval_data/`; the Russian set uses the built-in `ru_b2b_discovery` script and `default` fields.
Per set it prints: schema-valid rate, grounded-quote rate, decided-item share (and which method decided), item
agreement with labels, per-field precision and recall, ROUGE-L (DialogSum) and analysis time with its real-time
factor; then, over every set with field labels, how often a proposed value is right per confidence bucket. With
`--llm starter` it also times one 5-minute call (Harper Valley calls back to back).
"""

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from benchmarks.analysis_data import EVAL_DATA, LOADERS, SHARED_DATA, DataMissing, EvalCall, five_minute_call
from benchmarks.analysis_metrics import (
    HIGH_CONFIDENCE,
    Calibration,
    FieldCounts,
    ItemCounts,
    comparable,
    quote_found,
    ratio,
    rouge_l_multi,
    tokens,
)
from benchmarks.config import MODEL_CACHE
from crm_fill.schema import builtin_field_schema, load_field_schema
from crm_fill.values import normalize_proposals
from models import Analysis, Answer, CallInfo, CallScript, Conversation, FieldSchema
from scoring_scripts.loader import builtin_script, load_script
from summarize.core import analyze
from summarize.field_rules import extract_fields
from summarize.llm.base import LLMBackend

STARTED_AT = datetime(2025, 2, 19, 14, 5, tzinfo=UTC)
TYPED_FIELD_SETS = ("hvb", "abcd")
console = Console()


@dataclass
class SetScore:
    name: str
    calls: int = 0
    schema_valid: int = 0
    quotes: int = 0
    quotes_found: int = 0
    applicable_items: int = 0
    decided_by: Counter = field(default_factory=Counter)
    proposals_by: Counter = field(default_factory=Counter)
    dropped_claims: int = 0
    fields: dict[str, FieldCounts] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    items: ItemCounts = field(default_factory=ItemCounts)
    rouge_best: list[float] = field(default_factory=list)
    rouge_mean: list[float] = field(default_factory=list)
    seconds: float = 0.0
    audio_seconds: float = 0.0

    def summary(self) -> dict:
        decided = sum(self.decided_by.values())
        return {
            "set": self.name,
            "calls": self.calls,
            "schema_valid_rate": ratio(self.schema_valid, self.calls),
            "grounded_quote_rate": ratio(self.quotes_found, self.quotes),
            "quotes": self.quotes,
            "decided_item_share": ratio(decided, self.applicable_items),
            "decided_by": {source: ratio(n, self.applicable_items) for source, n in sorted(self.decided_by.items())},
            "proposals_by": dict(self.proposals_by),
            "dropped_llm_claims": self.dropped_claims,
            "item_agreement": self.items.agreement,
            "item_agreement_decided": self.items.agreement_decided,
            "items_labelled": self.items.labelled,
            "per_item_agreement": {k: v[0] / v[1] for k, v in sorted(self.items.per_item.items())},
            "fields": {
                name: {"precision": c.precision, "recall": c.recall, "tp": c.tp, "fp": c.fp, "fn": c.fn}
                for name, c in self.fields.items()
            },
            "calibration": _calibration_summary(self.calibration),
            "rouge_l_best": ratio(sum(self.rouge_best), len(self.rouge_best)),
            "rouge_l_mean": ratio(sum(self.rouge_mean), len(self.rouge_mean)),
            "analysis_s_per_call": ratio(self.seconds, self.calls),
            "rtf": ratio(self.seconds, self.audio_seconds),
        }


def _calibration_summary(calibration: Calibration) -> dict:
    high, right = calibration.at_least(HIGH_CONFIDENCE)
    return {
        "buckets": [
            {"confidence": label, "values": n, "right": hits, "precision": ratio(hits, n)}
            for label, n, hits in calibration.buckets()
        ],
        f"at_least_{HIGH_CONFIDENCE:g}": {"values": high, "precision": right},
    }


def _schema_valid(analysis: Analysis, fields: FieldSchema) -> bool:
    """The output validates as the Analysis contract and every proposal fits its field of the schema."""
    try:
        Analysis.model_validate_json(analysis.model_dump_json())
    except ValueError:
        return False
    specs = {spec.name: spec for spec in fields.fields}
    for proposal in analysis.proposals:
        spec = specs.get(proposal.field)
        if spec is None:
            return False
        values = proposal.value if isinstance(proposal.value, list) else [proposal.value]
        if spec.allowed_values and any(value not in spec.allowed_values for value in values):
            return False
    return True


def _quotes(analysis: Analysis) -> list[str]:
    evidence = [e for item in analysis.scorecard.items for e in item.evidence]
    evidence += [e for proposal in analysis.proposals for e in proposal.evidence]
    evidence += analysis.summary.evidence
    return [e.quote for e in evidence if e.quote]


def run_call(call: EvalCall, script: CallScript, fields: FieldSchema, llm: LLMBackend | None) -> tuple[Analysis, float]:
    info = CallInfo(call_id=call.call_id, started_at=STARTED_AT, language=call.conversation.language)
    started = time.perf_counter()
    conversation = call.conversation
    analysis = analyze(
        conversation,
        script,
        fields,
        info,
        llm,
        rule_proposals=extract_fields(conversation, fields, conversation.language),
    )
    proposals, _ = normalize_proposals(analysis.proposals, fields, info)
    analysis = analysis.model_copy(update={"proposals": proposals})
    return analysis, time.perf_counter() - started


def score_call(score: SetScore, call: EvalCall, analysis: Analysis, fields: FieldSchema, seconds: float) -> None:
    score.calls += 1
    score.seconds += seconds
    score.audio_seconds += call.conversation.duration_s
    score.schema_valid += _schema_valid(analysis, fields)
    transcript = tokens(" ".join(u.text for u in call.conversation.utterances))
    quotes = _quotes(analysis)
    score.quotes += len(quotes)
    score.quotes_found += sum(quote_found(quote, transcript) for quote in quotes)
    for item in analysis.scorecard.items:
        if item.answer == Answer.na:
            continue
        score.applicable_items += 1
        if item.answer in (Answer.yes, Answer.no):
            score.decided_by[item.source.value] += 1
    score.dropped_claims += analysis.dropped_claims
    score.proposals_by.update(p.source for p in analysis.proposals)
    proposed = {p.field: p.value if isinstance(p.value, list) else [p.value] for p in analysis.proposals}
    for name, expected in call.fields.items():
        kind = call.field_kinds.get(name, "text")
        got = {comparable(v, kind) for v in proposed.get(name, [])}
        want = {comparable(v, kind) for v in expected}
        score.fields.setdefault(name, FieldCounts()).add(got, want)
    for proposal in analysis.proposals:
        if proposal.field not in call.fields:
            continue
        kind = call.field_kinds.get(proposal.field, "text")
        want = {comparable(v, kind) for v in call.fields[proposal.field]}
        for value in proposal.value if isinstance(proposal.value, list) else [proposal.value]:
            score.calibration.add(proposal.confidence, comparable(value, kind) in want)
    answers = {item.item_id: item.answer.value for item in analysis.scorecard.items}
    for item_id, expected in call.items.items():
        score.items.add(item_id, answers.get(item_id, Answer.not_determined.value), expected)
    if call.references:
        best, mean = rouge_l_multi(analysis.summary.text, call.references)
        score.rouge_best.append(best)
        score.rouge_mean.append(mean)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_set(result: dict, title: str) -> None:
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    decided_by = ", ".join(f"{k} {_fmt(v, 2)}" for k, v in result["decided_by"].items()) or "—"
    rows = [
        ("calls", str(result["calls"])),
        ("schema-valid rate", _fmt(result["schema_valid_rate"])),
        (f"grounded-quote rate ({result['quotes']} quotes)", _fmt(result["grounded_quote_rate"])),
        ("decided-item share", _fmt(result["decided_item_share"])),
        ("  decided by", decided_by),
        ("proposals by source", ", ".join(f"{k} {v}" for k, v in result["proposals_by"].items()) or "—"),
        ("LLM claims dropped (quote not found)", str(result["dropped_llm_claims"])),
        (f"item agreement ({result['items_labelled']} labelled)", _fmt(result["item_agreement"])),
        ("item agreement, decided items only", _fmt(result["item_agreement_decided"])),
        ("ROUGE-L F1 best of refs / mean", f"{_fmt(result['rouge_l_best'])} / {_fmt(result['rouge_l_mean'])}"),
        ("analysis s per call", _fmt(result["analysis_s_per_call"], 2)),
        ("RTF (analysis s / call s)", _fmt(result["rtf"], 4)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    if result["fields"]:
        fields = Table(title=f"{title}: fields", show_header=True)
        for column in ("field", "precision", "recall", "tp", "fp", "fn"):
            fields.add_column(column, justify="left" if column == "field" else "right")
        for name, c in result["fields"].items():
            fields.add_row(name, _fmt(c["precision"]), _fmt(c["recall"]), str(c["tp"]), str(c["fp"]), str(c["fn"]))
        console.print(fields)
    if result["per_item_agreement"]:
        console.print(
            "per-item agreement: " + ", ".join(f"{k} {v:.2f}" for k, v in result["per_item_agreement"].items())
        )


def print_typed_fields(scores: list[SetScore], title: str) -> dict:
    """Per-field precision and recall over the Harper Valley and ABCD sets together (the typed-field targets)."""
    merged: dict[str, FieldCounts] = {}
    for score in scores:
        if score.name not in TYPED_FIELD_SETS:
            continue
        for name, counts in score.fields.items():
            total = merged.setdefault(name, FieldCounts())
            total.tp, total.fp, total.fn = total.tp + counts.tp, total.fp + counts.fp, total.fn + counts.fn
    if not merged:
        return {}
    pooled = FieldCounts(*(sum(getattr(c, k) for c in merged.values()) for k in ("tp", "fp", "fn")))
    table = Table(title=title, show_header=True)
    for column in ("field", "precision", "recall", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, c in [*merged.items(), ("all typed fields", pooled)]:
        table.add_row(name, _fmt(c.precision), _fmt(c.recall), str(c.tp), str(c.fp), str(c.fn))
    console.print(table)
    return {name: {"precision": c.precision, "recall": c.recall} for name, c in [*merged.items(), ("all", pooled)]}


def print_calibration(scores: list[SetScore], title: str) -> dict:
    """Proposed values of labelled fields per confidence bucket, every set together, and the >= 0.8 headline."""
    pooled = Calibration()
    for score in scores:
        pooled.merge(score.calibration)
    if not pooled.values:
        return {}
    table = Table(title=title, show_header=True)
    for column in ("confidence", "values", "right", "precision"):
        table.add_column(column, justify="left" if column == "confidence" else "right")
    for label, n, hits in pooled.buckets():
        table.add_row(label, str(n), str(hits), _fmt(ratio(hits, n)))
    console.print(table)
    high, right = pooled.at_least(HIGH_CONFIDENCE)
    share = "—" if right is None else f"{100 * right:.1f} %"
    per_set = ", ".join(
        f"{score.name} {n} ({_fmt(p)})" for score in scores for n, p in [score.calibration.at_least()] if n
    )
    console.print(f"values with confidence >= {HIGH_CONFIDENCE:g}: {high}, right {share} (per set: {per_set})")
    return _calibration_summary(pooled)


def _starter_llm() -> LLMBackend:
    from pipeline.llm_models import starter_llm_dir
    from summarize.llm.transformers_backend import TransformersBackend

    return TransformersBackend(starter_llm_dir(MODEL_CACHE), device="cpu")


def _script_and_fields(set_name: str) -> tuple[CallScript, FieldSchema]:
    if set_name == "ru":
        return builtin_script("ru_b2b_discovery"), builtin_field_schema("default")
    return load_script(EVAL_DATA / "service_script.yaml"), load_field_schema(EVAL_DATA / "service_fields.yaml")


def _five_minutes(llm: LLMBackend | None) -> dict | None:
    try:
        conversation: Conversation = five_minute_call()
    except DataMissing as exc:
        console.print(f"[yellow]5-minute call skipped: {exc}[/]")
        return None
    script, fields = _script_and_fields("hvb")
    call = EvalCall("long", "hvb-5min", conversation)
    _, seconds = run_call(call, script, fields, llm)
    return {"call_s": conversation.duration_s, "analysis_s": seconds, "rtf": seconds / conversation.duration_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", choices=["none", "starter"], default="none")
    parser.add_argument("--limit", type=int, default=None, help="at most N calls per set")
    parser.add_argument("--sets", default="hvb,abcd,dialogsum,ru")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = [name for name in names if name not in LOADERS]
    if unknown:
        parser.error(f"unknown set(s) {unknown}; choose from {sorted(LOADERS)}")

    llm = _starter_llm() if args.llm == "starter" else None
    mode = "starter LLM + rules" if llm else "rules only (no LLM)"
    limit = f", at most {args.limit} calls per set" if args.limit else ""
    console.print(f"analyze-stage evaluation: {mode}{limit}; shared data: {SHARED_DATA}")
    results, scores = [], []
    for name in names:
        try:
            calls = LOADERS[name]()
        except DataMissing as exc:
            console.print(f"[yellow]set {name} skipped: {exc}[/]")
            continue
        calls = calls[: args.limit] if args.limit else calls
        script, fields = _script_and_fields(name)
        score = SetScore(name)
        for call in track(calls, description=f"{name} ({len(calls)} calls)", console=console):
            analysis, seconds = run_call(call, script, fields, llm)
            score_call(score, call, analysis, fields, seconds)
        result = score.summary()
        results.append(result)
        scores.append(score)
        print_set(result, f"{name}: {mode}{limit}")
    report: dict = {"llm": args.llm, "limit": args.limit, "sets": results}
    report["typed_fields_hvb_abcd"] = print_typed_fields(scores, f"typed fields, hvb + abcd: {mode}{limit}")
    report["calibration"] = print_calibration(
        scores, f"proposed values by confidence, every labelled set: {mode}{limit}"
    )
    if llm is not None:
        report["five_minute_call"] = _five_minutes(llm)
        if report["five_minute_call"]:
            five = report["five_minute_call"]
            console.print(
                f"5-minute call ({five['call_s']:.0f} s): analysis {five['analysis_s']:.1f} s, RTF {five['rtf']:.3f}"
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
