"""The figures as console tables and as a markdown block ready to paste into README."""

import os
import platform
import subprocess
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from benchmarks.config import BenchConfig
from benchmarks.long_calls import LongCallFigures
from benchmarks.per_call import CallFigures

STAGES = ("transcribe", "diarize", "analyze")


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} cores"


def load_average() -> str:
    """Other processes on the machine slow every figure; the load average says how busy it was."""
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def run_header(config: BenchConfig) -> str:
    """When, where and with which model a recognition benchmark ran: the line its figures are quoted with."""
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}; load average {load_average()}; "
        f"model {config.model} on {config.device} ({config.compute_type}, {config.threads} threads)"
    )


def _wer(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def call_rows(calls: list[CallFigures]) -> tuple[list[str], list[list[str]]]:
    header = [
        "recording",
        "dur s",
        "sides",
        "WER ours",
        "WER plain",
        "ASR ours s",
        "ASR plain s",
        "ours/plain",
        "decode s",
        *(f"{s} s (RTF)" for s in STAGES),
        "total s (RTF)",
        "speech peak RSS MB",
    ]
    rows = [
        [
            c.name,
            f"{c.duration_s:.1f}",
            str(c.sides),
            _wer(c.wer_ours),
            _wer(c.wer_plain),
            f"{c.asr_ours_s:.2f}",
            f"{c.asr_plain_s:.2f}",
            f"{c.asr_ratio:.2f}",
            f"{c.decode_s:.2f}",
            *(f"{c.stage_s[s]:.2f} ({c.rtf(c.stage_s[s]):.2f})" for s in STAGES),
            f"{c.total_s:.2f} ({c.rtf(c.total_s):.2f})",
            f"{c.speech_peak_rss_mb:.0f}",
        ]
        for c in calls
    ]
    return header, rows


def long_rows(runs: list[LongCallFigures]) -> tuple[list[str], list[list[str]]]:
    header = [
        "call min",
        "models RSS MB",
        "speech peak RSS MB",
        "call MB",
        "call MB/min",
        "max RSS MB",
        "transcribe s",
        "diarize s",
        "RTF",
    ]
    rows = [
        [
            f"{r.minutes:.0f}",
            f"{r.models_rss_mb:.0f}",
            f"{r.peak_rss_mb:.0f}",
            f"{r.call_mb:.0f}",
            f"{r.call_mb / r.minutes:.1f}",
            f"{r.max_rss_mb:.0f}",
            f"{r.transcribe_s:.1f}",
            f"{r.diarize_s:.1f}",
            f"{r.rtf:.2f}",
        ]
        for r in runs
    ]
    return header, rows


def print_table(console: Console, title: str, header: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title)
    for name in header:
        table.add_column(name, justify="left" if name in {"recording"} else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def markdown(
    config: BenchConfig,
    model_names: dict[str, str],
    calls: list[CallFigures],
    runs: list[LongCallFigures],
    asr_runs: int,
) -> str:
    parts = [
        f"Machine: {machine()}; device {config.device}, {config.threads} CPU threads, compute type "
        f"{config.compute_type}; load average (1/5/15 min) at the end: {load_average()}.",
        "Models: " + "; ".join(f"{stage}: {name}" for stage, name in model_names.items()) + ".",
        "Settings: beam 5, Silero VAD, word timestamps (ours); plain faster-whisper: `transcribe(file, beam_size=5, "
        f"vad_filter=True)`. WER after Whisper's English normaliser. ASR times: best of {asr_runs} runs; "
        "stage times: one run; models loaded.",
    ]
    if calls:
        parts += ["", markdown_table(*call_rows(calls))]
    if runs:
        parts += [
            "",
            "Long calls (speech stages only, fresh process per length):",
            "",
            markdown_table(*long_rows(runs)),
        ]
    return "\n".join(parts)
