"""Per recording: accuracy and speed of our transcribe stage against plain faster-whisper, then every stage of
`callintel process` timed on the same recording with the models already loaded."""

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from faster_whisper import WhisperModel

from benchmarks.memory import PeakRSS
from benchmarks.recordings import BenchRecording, Order
from benchmarks.wer import word_error_rate
from models import CallInfo, Stage, Transcript
from pipeline.runtime import Runtime
from pipeline.stages import run_stage
from transcribe.audio import decode
from transcribe.backend import ASRBackend
from transcribe.core import transcribe_call

log = logging.getLogger(__name__)
RUNS = 2


@dataclass
class CallFigures:
    name: str
    source: str
    duration_s: float
    sides: int
    language: str
    wer_ours: float | None
    wer_plain: float | None
    decode_s: float
    asr_ours_s: float
    asr_plain_s: float
    stage_s: dict[str, float] = field(default_factory=dict)
    speech_peak_rss_mb: float = 0.0

    @property
    def asr_ratio(self) -> float:
        return self.asr_ours_s / self.asr_plain_s

    @property
    def total_s(self) -> float:
        return sum(self.stage_s.values())

    def rtf(self, seconds: float) -> float:
        return seconds / self.duration_s

    def as_json(self) -> dict:
        return asdict(self) | {"asr_ratio": self.asr_ratio, "total_s": self.total_s}


def our_text(transcript: Transcript, order: Order) -> str:
    words = transcript.words
    if order == "channel":
        words = sorted(words, key=lambda w: (w.channel, w.start))
    return " ".join(w.text for w in words)


def run_ours(path: Path, backend: ASRBackend) -> tuple[float, float, Transcript]:
    """Decode and recognise as the transcribe stage does; returns decode seconds, total seconds, transcript."""
    started = time.perf_counter()
    audio = decode(path)
    decoded = time.perf_counter()
    transcript = transcribe_call(audio, backend)
    return decoded - started, time.perf_counter() - started, transcript


def run_plain(path: Path, model: WhisperModel) -> tuple[float, str]:
    """faster-whisper's documented usage on the file; the segments are a generator, so joining them runs it."""
    started = time.perf_counter()
    segments, _ = model.transcribe(str(path), beam_size=5, vad_filter=True)
    text = " ".join(segment.text.strip() for segment in segments)
    return time.perf_counter() - started, text


def warm_up(path: Path, backend: ASRBackend, plain: WhisperModel, runtime: Runtime) -> None:
    """One pass of each model before anything is timed, so no figure carries first-call set-up."""
    run_ours(path, backend)
    run_plain(path, plain)
    audio = decode(path)
    runtime.engines.diarizer.diarize(audio.samples.mean(axis=0), 16000)
    runtime.engines.llm  # noqa: B018 - loading is the point


def run_stages(path: Path, runtime: Runtime) -> tuple[dict[str, float], float]:
    """`callintel process` on one file, each stage timed; returns stage seconds and peak RSS of the speech stages."""
    from ingest.files import ingest_file

    call_id = ingest_file(path, runtime, CallInfo(), {})
    times: dict[str, float] = {}
    with PeakRSS() as peak:
        for stage in (Stage.transcribe, Stage.diarize):
            started = time.perf_counter()
            run_stage(call_id, stage, runtime)
            times[str(stage)] = time.perf_counter() - started
    started = time.perf_counter()
    run_stage(call_id, Stage.analyze, runtime)
    times[str(Stage.analyze)] = time.perf_counter() - started
    return times, peak.mb


def measure(recording: BenchRecording, runtime: Runtime, plain: WhisperModel, runs: int = RUNS) -> CallFigures:
    backend = runtime.engines.asr
    ours = [run_ours(recording.path, backend) for _ in range(runs)]
    plain_runs = [run_plain(recording.path, plain) for _ in range(runs)]
    transcript = ours[-1][2]
    wer_ours = wer_plain = None
    if recording.reference is not None:
        wer_ours = word_error_rate(recording.reference, our_text(transcript, recording.order))
        wer_plain = word_error_rate(recording.reference, plain_runs[-1][1])
    stage_s, peak_mb = run_stages(recording.path, runtime)
    figures = CallFigures(
        name=recording.name,
        source=recording.source,
        duration_s=transcript.duration_s,
        sides=transcript.channels,
        language=transcript.language,
        wer_ours=wer_ours,
        wer_plain=wer_plain,
        decode_s=min(run[0] for run in ours),
        asr_ours_s=min(run[1] for run in ours),
        asr_plain_s=min(run[0] for run in plain_runs),
        stage_s=stage_s,
        speech_peak_rss_mb=peak_mb,
    )
    log.info("%s: %s", recording.name, figures.as_json())
    return figures
