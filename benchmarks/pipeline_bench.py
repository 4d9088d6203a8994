"""`python -m benchmarks.pipeline_bench`: accuracy, speed and memory of `callintel process`, printed as tables.

Runs on the project's recordings (and SpokenWOZ calls in ../shared/data when present), then on generated long
calls, each in a fresh process. See benchmarks/README.md for what each figure means.
"""

import argparse
import json
import logging
import tempfile
from pathlib import Path

from rich.console import Console

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.long_calls import LongCallFigures, measure_long_calls
from benchmarks.per_call import RUNS, CallFigures, measure, warm_up
from benchmarks.recordings import ROOT, default_recordings
from benchmarks.report import call_rows, load_average, long_rows, machine, markdown, print_table

WARM_UP = ROOT / "tests" / "data" / "fw_stereo_diarization.wav"


def _minutes(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected minutes separated by commas, e.g. 10,30,60; got {text!r}") from None


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline_bench", description=__doc__)
    parser.add_argument("--model", default=BenchConfig.model, help="'starter', a faster-whisper hub name or a path.")
    parser.add_argument("--device", default=BenchConfig.device, choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=BenchConfig.threads, help="CPU threads for recognition.")
    parser.add_argument(
        "--long", type=_minutes, default=[10.0, 30.0, 60.0], help="Long-call lengths in minutes; '' for none."
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="ASR runs per file, ours and plain; the best counts.")
    parser.add_argument("--skip-calls", action="store_true", help="Only the long calls.")
    parser.add_argument("--out", type=Path, help="Also write every figure to this JSON file.")
    return parser.parse_args()


def _per_call(config: BenchConfig, runs: int, console: Console) -> tuple[list[CallFigures], dict[str, str]]:
    from faster_whisper import WhisperModel

    with tempfile.TemporaryDirectory(prefix="callintel-bench-") as home:
        runtime = config.runtime(Path(home))
        engines = runtime.engines
        plain = WhisperModel(
            engines.asr.name, device=config.device, compute_type=config.compute_type, cpu_threads=config.threads
        )
        with console.status("warming up"):
            warm_up(WARM_UP, engines.asr, plain, runtime)
        llm = engines.llm
        names = {
            "transcribe": f"{engines.asr.name} ({engines.asr.version})",
            "diarize (mono)": f"{engines.diarizer.name} ({engines.diarizer.version})",
            "analyze": f"{llm.info.name} ({llm.info.version})" if llm is not None else "no LLM",
        }
        calls = []
        for recording in default_recordings():
            with console.status(f"measuring {recording.name}"):
                calls.append(measure(recording, runtime, plain, runs))
        return calls, names


def main() -> None:
    args = _arguments()
    prepare_environment()
    logging.basicConfig(level=logging.WARNING)
    config = BenchConfig(args.model, args.device, args.threads)
    console = Console()
    console.print(f"machine: {machine()}; load average {load_average()}; {config}")
    calls: list[CallFigures] = []
    names: dict[str, str] = {"transcribe": config.model}
    if not args.skip_calls:
        calls, names = _per_call(config, args.runs, console)
        print_table(console, "Per recording", *call_rows(calls))
    runs: list[LongCallFigures] = []
    if args.long:
        with console.status(f"long calls: {args.long} min, one process each"):
            runs = measure_long_calls(args.long, config)
        print_table(console, "Long calls: transcribe + diarize", *long_rows(runs))
    text = markdown(config, names, calls, runs, args.runs)
    console.print("\nMarkdown for docs/performance.md:\n")
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        figures = {
            "machine": machine(),
            "config": vars(config) | {"compute_type": config.compute_type},
            "models": names,
            "calls": [c.as_json() for c in calls],
            "long_calls": [r.as_json() for r in runs],
            "markdown": text,
        }
        args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
