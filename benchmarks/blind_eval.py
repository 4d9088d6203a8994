"""The analysis measured on the blind-written evaluation set (`eval_set/`), per language and part.

    python -m benchmarks.blind_eval [--part dev|test] [--languages ru,en] [--llm none|starter|openai]
        [--llm-url URL] [--llm-model NAME] [--oracle] [--out F.json]

Each call goes through `callintel analyze`'s own function (`pipeline.transcripts.analyze_transcript`) as a plain
`rep: …` / `customer: …` transcript with its date, time zone and direction, with the built-in script for its
language, the `default` field schema and the scenario's seller catalogue as the team's product catalogue (names
only, as a team that added no synonyms has it). `--llm openai` points the LLM stage at any OpenAI-compatible server
(`CALLINTEL_LLM_API_KEY` carries its key), so a team can measure its own model before trusting it.

`--oracle` measures the LLM ceiling: the LLM stage talks to `benchmarks.oracle_server` (answers from the labels,
quoted from the call) on a free loopback port, and the report adds how many of its answers the pipeline kept
(`benchmarks.oracle_agreement`) and why each lost one was lost.

Every run on the test part is appended to `results/blind_test_runs.jsonl` (date, commit, LLM, figures), and the
test part's digest is checked before it is read (`eval_set/test_part.sha256`).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from benchmarks.blind_scores import SCORED_FIELDS, SIGNALS, PartScore, add_call
from benchmarks.blind_set import SCRIPTS, FrozenPartChanged, load_part
from benchmarks.config import MODEL_CACHE
from benchmarks.oracle_agreement import Agreement
from benchmarks.oracle_agreement import add_call as add_agreement
from benchmarks.oracle_server import Oracle, OracleServer
from benchmarks.recordings import ROOT
from pipeline.call_setup import resolve_fields
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from pipeline.transcripts import analyze_transcript

RUN_LOG = Path(__file__).parent / "results" / "blind_test_runs.jsonl"
console = Console()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def settings_for(args: argparse.Namespace, data_dir: Path) -> Settings:
    overrides: dict = {"data_dir": data_dir, "model_cache_dir": MODEL_CACHE, "llm_backend": "none"}
    if args.llm == "starter":
        overrides.update(llm_backend="transformers", llm_device="cpu")
    elif args.llm == "openai":
        overrides.update(llm_backend="openai", llm_base_url=args.llm_url, llm_model=args.llm_model)
    return Settings(**overrides)


def evaluate(args: argparse.Namespace, oracle: Oracle | None = None) -> dict[str, PartScore]:
    """The part's scores per language; with `oracle`, each call's agreement with it is added to `args.agreement`."""
    languages = tuple(args.languages.split(","))
    calls = load_part(args.part, languages)
    scores: dict[str, PartScore] = {}
    fields = resolve_fields("default")
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(settings_for(args, Path(data_dir)))
        for call in track(calls, description=f"analysing the {args.part} part", console=console):
            stored = {"script": SCRIPTS[call.language], "fields": "default", "language": call.language}
            result = analyze_transcript(
                call.transcript_text, f"{call.id}.txt", call.call_info, stored, runtime, catalogue=call.catalogue
            )
            add_call(scores.setdefault(call.language, PartScore()), call, result.conversation, result.analysis)
            if oracle is not None:
                requests = oracle.requests_about(call.id)
                add_agreement(args.agreement, call, result.conversation, result.analysis, fields, requests)
    return scores


def report_agreement(agreement: Agreement) -> None:
    s = agreement.summary()
    console.rule("agreement with the oracle (LLM ceiling)")
    console.print(
        f"script items: {_pct(s['item_agreement'])} of {s['items']}; "
        f"LLM-asked fields the oracle answered: {_pct(s['field_agreement'])} of {s['fields']}"
    )
    reasons = Table("why the pipeline differs", "count", title="Differences by reason", title_justify="left")
    for reason, count in s["reasons"].items():
        reasons.add_row(reason, str(count))
    console.print(reasons)
    listed = Table("call", "kind", "name", "pipeline", "oracle", "reason", title="Differences", title_justify="left")
    for d in agreement.differences:
        listed.add_row(d.call_id, d.kind, d.name, d.pipeline[:40], d.oracle[:40], d.reason)
    console.print(listed)


def report(part: str, scores: dict[str, PartScore]) -> None:
    for language, score in sorted(scores.items(), key=lambda pair: pair[0] != "ru"):
        s = score.summary()
        high = s["high_confidence"]
        console.rule(f"{language} · {part} part · {s['calls']} calls")
        console.print(
            f"script items: agreement {_pct(s['item_agreement'])}, decided {_pct(s['decided_share'])} of the items "
            f"the label says apply, decided answers right {_pct(s['decided_right'])}; quotes found "
            f"{_pct(s['quotes_found'])}; values proposed at confidence >= 0.8: {high['values']}, right "
            f"{_pct(high['right'])}, covering {_pct(high['coverage'])} of the labelled values"
        )
        items = Table("item", "labelled", "right", "applies", "decided", title="Script items", title_justify="left")
        for item, counts in s["per_item"].items():
            items.add_row(
                item,
                str(counts.get("labelled", 0)),
                _pct(counts.get("right", 0) / counts["labelled"]),
                str(counts.get("applies", 0)),
                str(counts.get("decided", 0)),
            )
        console.print(items)
        fields = Table(
            "field", "precision", "recall", "tp", "fp", "fn", "at >= 0.8: right / values", title="Fields",
            title_justify="left",
        )  # fmt: skip
        for name in SCORED_FIELDS:
            f = s["fields"][name]
            confident = s["confident_per_field"].get(name, {})
            fields.add_row(
                name, _num(f["precision"]), _num(f["recall"]), str(f["tp"]), str(f["fp"]), str(f["fn"]),
                f"{confident.get('right', 0)} / {confident.get('values', 0)}",
            )  # fmt: skip
        console.print(fields)
        signals = Table("signal", "precision", "recall", "tp", "fp", "fn", title="Signals", title_justify="left")
        for name in SIGNALS:
            f = s["signals"][name]
            signals.add_row(name, _num(f["precision"]), _num(f["recall"]), str(f["tp"]), str(f["fp"]), str(f["fn"]))
        signals.add_row("all", _num(s["signals_all"]["precision"]), _num(s["signals_all"]["recall"]), "", "", "")
        console.print(signals)
    pooled = PartScore()
    for score in scores.values():
        pooled.calibration.merge(score.calibration)
    calibration = Table("confidence", "values", "right", "share", title="Calibration, pooled", title_justify="left")
    for label, count, right in pooled.calibration.buckets():
        calibration.add_row(label, str(count), str(right), _pct(right / count if count else None))
    console.print(calibration)


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["dev", "test"], default="dev")
    parser.add_argument("--languages", default="ru,en")
    parser.add_argument("--llm", choices=["none", "starter", "openai"], default="none")
    parser.add_argument("--llm-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--llm-model", default="default")
    parser.add_argument("--oracle", action="store_true", help="Measure the LLM ceiling against the labels' oracle.")
    parser.add_argument("--out", type=Path, help="Write the figures as JSON here too.")
    args = parser.parse_args(argv)
    if args.llm == "openai" and not args.llm_url and not args.oracle:
        parser.error("--llm openai needs --llm-url")
    server = None
    try:
        if args.oracle:
            server = OracleServer(load_part(args.part, tuple(args.languages.split(",")))).start()
            args.llm, args.llm_url, args.llm_model, args.agreement = "openai", server.base_url, "oracle", Agreement()
        scores = evaluate(args, server.oracle if server else None)
    except FrozenPartChanged as exc:
        console.print(f"[bold red]error:[/] {exc}")
        return 2
    finally:
        if server is not None:
            server.stop()
    report(args.part, scores)
    figures = {language: score.summary() for language, score in scores.items()}
    if args.oracle:
        report_agreement(args.agreement)
    entry = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "part": args.part,
        "llm": args.llm if args.llm != "openai" else f"openai:{args.llm_model}",
        "figures": figures,
    }
    if args.oracle:
        entry["oracle_agreement"] = args.agreement.summary()
    if args.part == "test":
        RUN_LOG.parent.mkdir(parents=True, exist_ok=True)
        with RUN_LOG.open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        console.print(f"logged to {RUN_LOG.relative_to(ROOT)}")
    if args.out:
        args.out.write_text(json.dumps(entry, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
