"""The recordings the benchmark runs on, and their reference transcripts.

A reference is either in time order (every word of both speakers by start time) or in channel order (all of the
left channel, then all of the right, for files whose reference has no times). The hypothesis is put in the same
order before scoring, so a WER figure never counts a correct word as wrong only because two speakers overlapped.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
SPOKENWOZ = SHARED_DATA / "calls_en" / "spokenwoz"
AWS_SAMPLE = ROOT / "pipeline" / "samples" / "aws_pca_call_8k_mono.wav"

Order = Literal["time", "channel"]


@dataclass(frozen=True)
class BenchRecording:
    path: Path
    source: str
    reference: str | None = None
    order: Order = "time"

    @property
    def name(self) -> str:
        return self.path.name


def stm_text(path: Path) -> str:
    """An STM transcript (file channel speaker start end text...) as one text, segments by start time."""
    segments: list[tuple[float, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and not line.startswith(";;"):
            segments.append((float(parts[3]), parts[5]))
    return " ".join(text for _, text in sorted(segments, key=lambda s: s[0]))


def channel_tsv_text(path: Path) -> str:
    """A per-channel reference (columns channel, text; left before right) as one text in channel order."""
    with path.open(encoding="utf-8", newline="") as source:
        rows = {row["channel"]: row["text"] for row in csv.DictReader(source, delimiter="\t")}
    return " ".join(rows[side] for side in ("left", "right") if side in rows)


def spokenwoz_text(path: Path) -> str:
    """SpokenWOZ's word-level JSON ([{speaker, word, start, end}, ...]): every word of both speakers by start time."""
    words = json.loads(path.read_text(encoding="utf-8"))
    return " ".join(w["word"] for w in sorted(words, key=lambda w: (w["start"], w["end"])))


def default_recordings() -> list[BenchRecording]:
    """The project's own test recordings and sample call, then the SpokenWOZ calls when ../shared/data is present."""
    data = ROOT / "tests" / "data"
    found = [
        BenchRecording(data / "pyannote_sample.wav", "pyannote sample (MIT)", stm_text(data / "pyannote_sample.stm")),
        BenchRecording(
            data / "fw_stereo_diarization.wav",
            "faster-whisper test file (MIT)",
            channel_tsv_text(data / "fw_stereo_diarization.tsv"),
            order="channel",
        ),
        BenchRecording(AWS_SAMPLE, "AWS PCA sample call (Apache-2.0)"),
    ]
    for audio in sorted(SPOKENWOZ.glob("*.flac")):
        reference = audio.with_suffix(".json")
        text = spokenwoz_text(reference) if reference.is_file() else None
        found.append(BenchRecording(audio, "SpokenWOZ (CC BY-NC 4.0)", text))
    return found
