"""How often an LLM's free-text summary passes the summary gate (summarize/summary_gate.py), and why the others fail.

    python -m benchmarks.summary_gate_eval [--calls N] [--languages ru,en] [--llm starter|openai]
        [--llm-url URL] [--llm-model NAME]

It analyses the first N calls of the blind evaluation set's dev part (never its test part) with the LLM on, as
`callintel analyze` would, and counts per call: the LLM's text shown (passed), refused (with the rule it failed),
or no LLM answer at all. The starter LLM runs on the CPU (about 50 s a call on a 2-core machine).
"""

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.blind_set import SCRIPTS, load_part
from benchmarks.config import MODEL_CACHE
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.transcripts import analyze_transcript

console = Console()


def settings_for(args: argparse.Namespace, data_dir: Path) -> Settings:
    overrides: dict = {"data_dir": data_dir, "model_cache_dir": MODEL_CACHE}
    if args.llm == "starter":
        overrides.update(llm_backend="transformers", llm_model="starter", llm_device="cpu")
    else:
        overrides.update(llm_backend="openai", llm_base_url=args.llm_url, llm_model=args.llm_model)
    return Settings(**overrides)


def evaluate(args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    """(call id, language, outcome, the LLM's text or the card's) per call; outcome is 'passed', the failed rule
    with what failed it, or 'no LLM answer'."""
    calls = load_part("dev", tuple(args.languages.split(",")))[: args.calls]
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(settings_for(args, Path(data_dir)))
        for call in calls:
            stored = {"script": SCRIPTS[call.language], "fields": "default", "language": call.language}
            result = analyze_transcript(call.transcript_text, f"{call.id}.txt", call.call_info, stored, runtime)
            summary = result.analysis.summary
            outcome = "passed" if summary.source == "llm" else summary.llm_rejected_reason or "no LLM answer"
            rows.append((call.id, call.language, outcome, summary.text))
            console.print(f"{call.id} ({call.language}): {outcome}")
    return rows


def report(rows: list[tuple[str, str, str, str]]) -> None:
    table = Table(title="LLM summaries through the gate (dev part)")
    for column in ("call", "lang", "outcome", "summary shown"):
        table.add_column(column, overflow="fold")
    for call_id, language, outcome, text in rows:
        table.add_row(call_id, language, outcome, text)
    console.print(table)
    passed = sum(outcome == "passed" for _, _, outcome, _ in rows)
    console.print(f"passed: {passed}/{len(rows)}")
    rules = Counter(outcome.split(":")[0] for _, _, outcome, _ in rows if outcome != "passed")
    for rule, count in rules.most_common():
        console.print(f"  {rule}: {count}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6, help="the first N calls of the dev part")
    parser.add_argument("--languages", default="ru,en")
    parser.add_argument("--llm", choices=["starter", "openai"], default="starter")
    parser.add_argument("--llm-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--llm-model", default="default")
    args = parser.parse_args(argv)
    if args.llm == "openai" and not args.llm_url:
        parser.error("--llm openai needs --llm-url")
    report(evaluate(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
