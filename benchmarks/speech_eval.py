"""`python -m benchmarks.speech_eval`: accuracy of the speech stages against the plain tools, on every reference.

Sets (`--sets`, default all): `asr` (WER per recording and per language), `diar` (DER/JER on reference turns),
`stereo` (SpokenWOZ calls: WER, cpWER, DER, role accuracy, words leaked across channels), `robust` (generated
no-speech audio, then each decoding setting's effect). See benchmarks/README.md for what each figure means.
"""

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.report import run_header
from benchmarks.robustness import score_robustness, score_settings, setting_variants, write_clips
from benchmarks.speech_refs import asr_references, stereo_calls, turn_references
from benchmarks.speech_scores import language_summary, score_asr, score_diarisation, score_stereo
from benchmarks.speech_systems import plain_pyannote, plain_whisper
from benchmarks.speech_tables import markdown_table, print_rows

SETS = ("asr", "diar", "stereo", "robust")


def _sets(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(SETS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"sets are {', '.join(SETS)}; got {text!r}")
    return chosen


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speech_eval", description=__doc__)
    parser.add_argument("--model", default=BenchConfig.model, help="'starter', a faster-whisper hub name or a path.")
    parser.add_argument("--device", default=BenchConfig.device, choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=BenchConfig.threads, help="CPU threads for recognition.")
    parser.add_argument("--sets", type=_sets, default=list(SETS), help="Comma-separated: asr,diar,stereo,robust.")
    parser.add_argument(
        "--limit-seconds", type=float, default=None, help="Skip recordings longer than this (a quick subset)."
    )
    parser.add_argument("--out", type=Path, help="Also write every figure and the markdown to this JSON file.")
    return parser.parse_args()


def _short_enough(path: Path, limit: float | None) -> bool:
    if limit is None:
        return True
    import av

    with av.open(str(path)) as container:
        return (container.duration or 0) / 1e6 <= limit


def main() -> None:
    args = _arguments()
    prepare_environment()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # Each row is logged as it is finished, so a long run shows its figures before the tables.
    logging.getLogger("benchmarks").setLevel(logging.INFO)
    config = BenchConfig(args.model, args.device, args.threads)
    console = Console()
    started = time.perf_counter()
    header = run_header(config)
    console.print(header)
    asr_refs = [r for r in asr_references() if _short_enough(r.path, args.limit_seconds)]
    turn_refs = [r for r in turn_references() if _short_enough(r.path, args.limit_seconds)]
    calls = [c for c in stereo_calls() if _short_enough(c.path, args.limit_seconds)]
    tables: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="callintel-speech-eval-") as home:
        runtime = config.runtime(Path(home))
        with console.status("loading models"):
            whisper = plain_whisper(runtime, config.device, config.compute_type, config.threads)
            pyannote = plain_pyannote(config.device)
            runtime.engines.diarizer  # noqa: B018 - loaded before the progress bar starts
        work = {
            "asr": len(asr_refs),
            "diar": len(turn_refs),
            "stereo": len(calls),
        }
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            if "asr" in args.sets:
                task = progress.add_task("asr", total=work["asr"])
                tables["asr"] = score_asr(asr_refs, runtime, whisper, _ticker(progress, task, "asr"))
                tables["asr by language"] = language_summary(tables["asr"])
                _finished(progress, task)
            if "diar" in args.sets:
                task = progress.add_task("diar", total=work["diar"])
                tables["diar"] = score_diarisation(turn_refs, runtime, pyannote, _ticker(progress, task, "diar"))
                _finished(progress, task)
            if "stereo" in args.sets:
                task = progress.add_task("stereo", total=work["stereo"])
                tables["stereo"] = score_stereo(calls, runtime, whisper, pyannote, _ticker(progress, task, "stereo"))
                _finished(progress, task)
            if "robust" in args.sets:
                speech = next(r for r in asr_refs if r.path.name == "jfk.flac")
                folder = Path(home) / "clips"
                folder.mkdir()
                clips, with_music = write_clips(folder, speech)
                task = progress.add_task("robust", total=len(clips) + 1)
                tick = _ticker(progress, task, "robust")
                tables["robust"] = score_robustness(clips, with_music, speech, runtime, whisper, tick)
                _finished(progress, task)
                task = progress.add_task("settings", total=len(setting_variants(runtime.engines.asr.decoding)))
                tick = _ticker(progress, task, "settings")
                suspects = [*clips, with_music]
                tables["settings"] = score_settings(suspects, tables["robust"], asr_refs, runtime, tick)
                _finished(progress, task)
    for name, rows in tables.items():
        print_rows(console, name, rows)
    elapsed = time.perf_counter() - started
    text = "\n\n".join([f"{header}; {elapsed:.0f} s"] + [markdown_table(n, r) for n, r in tables.items()])
    console.print("\nMarkdown for docs/performance.md:\n")
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        figures = {"header": header, "tables": {n: [_plain(r) for r in rows] for n, rows in tables.items()}}
        args.out.write_text(json.dumps(figures | {"markdown": text}, indent=1, ensure_ascii=False), encoding="utf-8")


def _ticker(progress: Progress, task: TaskID, name: str) -> Callable[[str], None]:
    """Called as each item starts: the bar counts the items already done and names the one under way."""
    started = [0]

    def tick(item: str) -> None:
        progress.update(task, completed=started[0], description=f"{name}: {item}")
        started[0] += 1

    return tick


def _finished(progress: Progress, task: TaskID) -> None:
    done = progress.tasks[task]
    progress.update(task, completed=done.total, description=done.description.split(":")[0])


def _plain(row: dict) -> dict:
    from benchmarks.speech_tables import cell

    return {key: cell(value) for key, value in row.items()}


if __name__ == "__main__":
    main()
