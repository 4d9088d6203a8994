"""Memory and speed of the speech stages on long calls, each length in a fresh process so peaks never mix.

A long call is the bundled 4.6-minute sample call repeated end to end to the length asked for, written as the
same 8 kHz mono telephony WAV (16-bit). `python -m benchmarks.long_calls --child FILE ...` is the measuring
process; it prints one JSON line.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.memory import MB, PeakRSS, rss_mb
from benchmarks.recordings import AWS_SAMPLE, ROOT

RATE = 8000


@dataclass
class LongCallFigures:
    minutes: float
    duration_s: float
    models_rss_mb: float
    """RSS once the models are loaded, before the call: what every call shares."""
    peak_rss_mb: float
    """psutil-sampled peak over the transcribe and diarize stages."""
    max_rss_mb: float
    """The process's high-water mark (getrusage), model loading included."""
    transcribe_s: float
    diarize_s: float

    @property
    def call_mb(self) -> float:
        return self.peak_rss_mb - self.models_rss_mb

    @property
    def rtf(self) -> float:
        return (self.transcribe_s + self.diarize_s) / self.duration_s

    def as_json(self) -> dict:
        return asdict(self) | {"call_mb": self.call_mb, "rtf": self.rtf}


def _pcm16_mono(path: Path) -> np.ndarray:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    pieces: list[np.ndarray] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            pieces.extend(f.to_ndarray() for f in resampler.resample(frame))
    pieces.extend(f.to_ndarray() for f in resampler.resample(None))
    return np.concatenate(pieces, axis=1)[0]


def make_long_call(minutes: float, folder: Path, source: Path = AWS_SAMPLE) -> Path:
    """A WAV of `minutes` length made by repeating `source`."""
    one = _pcm16_mono(source)
    needed = int(minutes * 60 * RATE)
    samples = np.tile(one, -(-needed // one.size))[:needed]
    path = folder / f"long_call_{minutes:g}min.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def _measure_diarization(path: Path, config: BenchConfig) -> LongCallFigures:
    """The diarizer alone on the call, as the diarize stage runs it on a mono call (16 kHz, two speakers hinted)."""
    from diarize.core import PHONE_CALL_EXPECTED_SPEAKERS, PHONE_CALL_MIN_SPEAKERS
    from transcribe.audio import SAMPLE_RATE, decode

    with tempfile.TemporaryDirectory(prefix="callintel-bench-") as home:
        diarizer = config.runtime(Path(home)).engines.diarizer
        models_mb = rss_mb()
        with PeakRSS() as peak:
            samples = decode(path).samples[0]
            started = time.perf_counter()
            diarizer.diarize(
                samples,
                SAMPLE_RATE,
                min_speakers=PHONE_CALL_MIN_SPEAKERS,
                expected_speakers=PHONE_CALL_EXPECTED_SPEAKERS,
            )
            diarize_s = time.perf_counter() - started
    duration_s = samples.size / SAMPLE_RATE
    return LongCallFigures(
        minutes=duration_s / 60,
        duration_s=duration_s,
        models_rss_mb=models_mb,
        peak_rss_mb=peak.mb,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB,
        transcribe_s=0.0,
        diarize_s=diarize_s,
    )


def _measure_here(path: Path, config: BenchConfig) -> LongCallFigures:
    from ingest.files import ingest_file
    from models import CallInfo, Stage
    from pipeline.stages import run_stage

    with tempfile.TemporaryDirectory(prefix="callintel-bench-") as home:
        runtime = config.runtime(Path(home))
        runtime.engines.asr  # noqa: B018 - load before measuring, so the baseline holds the models
        runtime.engines.diarizer  # noqa: B018
        models_mb = rss_mb()
        call_id = ingest_file(path, runtime, CallInfo(), {})
        times: dict[Stage, float] = {}
        with PeakRSS() as peak:
            for stage in (Stage.transcribe, Stage.diarize):
                started = time.perf_counter()
                run_stage(call_id, stage, runtime)
                times[stage] = time.perf_counter() - started
    with wave.open(str(path)) as audio:
        duration_s = audio.getnframes() / audio.getframerate()
    return LongCallFigures(
        minutes=duration_s / 60,
        duration_s=duration_s,
        models_rss_mb=models_mb,
        peak_rss_mb=peak.mb,
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB,
        transcribe_s=times[Stage.transcribe],
        diarize_s=times[Stage.diarize],
    )


def measure_long_calls(minutes: list[float], config: BenchConfig) -> list[LongCallFigures]:
    """One fresh process per length; the generated files live only as long as the measurement."""
    found: list[LongCallFigures] = []
    with tempfile.TemporaryDirectory(prefix="callintel-long-") as folder:
        for length in minutes:
            path = make_long_call(length, Path(folder))
            command = [
                sys.executable,
                "-m",
                "benchmarks.long_calls",
                "--child",
                str(path),
                "--model",
                config.model,
                "--device",
                config.device,
                "--threads",
                str(config.threads),
            ]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"long call of {length:g} min failed:\n{done.stderr[-4000:]}")
            found.append(LongCallFigures(**json.loads(done.stdout.strip().splitlines()[-1])))
            path.unlink()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", type=Path, required=True, help="Recording to measure in this process.")
    parser.add_argument("--model", default=BenchConfig.model)
    parser.add_argument("--device", default=BenchConfig.device, choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=BenchConfig.threads)
    parser.add_argument(
        "--diarize-only", action="store_true", help="Measure the diarizer alone (decoding included, no transcript)."
    )
    args = parser.parse_args()
    prepare_environment()
    measure = _measure_diarization if args.diarize_only else _measure_here
    figures = measure(args.child, BenchConfig(args.model, args.device, args.threads))
    print(json.dumps(asdict(figures)))


if __name__ == "__main__":
    main()
