"""What both GPU measurements share: the carried audio, timing that waits for the GPU, and the report table."""

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RATE = 16000
T = TypeVar("T")


def use_repo() -> None:
    """Make the product packages (diarize, transcribe, models) importable when run as a plain script."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def load_audio(path: Path) -> np.ndarray:
    """A carried recording (int16, (channels, n), 16 kHz) as float32 in [-1, 1]."""
    with np.load(path) as archive:
        return archive["samples"].astype(np.float32) / 32768.0


def synchronize(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def timed(device: str, work: Callable[..., T], /, *args: object, **kwargs: object) -> tuple[T, float]:
    """work(*args, **kwargs) and its wall time, with the GPU's queued work finished on both sides."""
    synchronize(device)
    start = time.perf_counter()
    result = work(*args, **kwargs)
    synchronize(device)
    return result, time.perf_counter() - start


def reset_peak_memory(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.reset_peak_memory_stats()


def peak_memory_mib(device: str) -> float | None:
    """Peak memory PyTorch allocated on the GPU; CTranslate2 allocates outside PyTorch and is not seen here."""
    if device != "cuda":
        return None
    import torch

    return torch.cuda.max_memory_allocated() / (1 << 20)


def device_name(device: str) -> str:
    if device == "cuda":
        import torch

        return torch.cuda.get_device_name(0)
    import torch

    return f"CPU, {torch.get_num_threads()} threads"


@dataclass
class Row:
    """One measured run: what ran, on which audio, how long it took and how good the output was."""

    stage: str
    audio: str
    device: str
    setting: str
    audio_s: float
    wall_s: float
    quality: str = ""
    peak_mib: float | None = None

    @property
    def rtf(self) -> float:
        return self.wall_s / self.audio_s

    @property
    def audio_hours_per_hour(self) -> float:
        return self.audio_s / self.wall_s


def table(rows: list[Row]) -> str:
    lines = [
        "| stage | audio | device | setting | audio s | wall s | RTF | audio h per device h | quality | peak MiB |",
        "|---|---|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for row in rows:
        peak = f"{row.peak_mib:.0f}" if row.peak_mib is not None else "-"
        lines.append(
            f"| {row.stage} | {row.audio} | {row.device} | {row.setting} | {row.audio_s:.1f} | {row.wall_s:.2f} | "
            f"{row.rtf:.4f} | {row.audio_hours_per_hour:.1f} | {row.quality} | {peak} |"
        )
    return "\n".join(lines)


class Report:
    """Rows as they are measured: printed, and the table and JSON rewritten after each, so a run cut short by the
    device's time limit still brings back what it measured."""

    def __init__(self, out: Path | None, name: str, extra: dict[str, object]) -> None:
        self.out, self.name, self.extra = out, name, extra
        self.rows: list[Row] = []
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(f"{row.stage} | {row.audio} | {row.setting}: {row.wall_s:.2f} s, RTF {row.rtf:.4f}, {row.quality}")
        self.save()
        return row

    def save(self) -> None:
        if self.out is None:
            return
        (self.out / f"{self.name}.md").write_text(table(self.rows) + "\n")
        records = [
            {**asdict(row), "rtf": row.rtf, "audio_hours_per_hour": row.audio_hours_per_hour} for row in self.rows
        ]
        (self.out / f"{self.name}.json").write_text(json.dumps({**self.extra, "rows": records}, indent=1))

    def finish(self) -> None:
        self.save()
        print(table(self.rows), flush=True)
