"""Speed of the starter Whisper (base, CTranslate2) through faster-whisper on GPU: plain and batched, float16 and
int8_float16, on the AWS call and a long concatenation of it; then our product path (`transcribe_call` with
`FasterWhisperBackend`) on the AWS call and, channel by channel, on a SpokenWOZ stereo call scored against its
reference words.

The AWS call has no reference, so batched output is scored against the plain output of the same compute type
("WER vs plain": how far batching moves the words). Runs with `--device cpu` (int8) on a CPU machine the same way.
"""

import argparse
import importlib.util
import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from benchmarks.gpu.common import REPO, SAMPLE_RATE, Report, Row, device_name, load_audio, timed, use_repo

WORD = re.compile(r"[a-z0-9']+")


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("’", "'"))


def wer(reference: list[str], hypothesis: list[str]) -> float:
    """Word error rate by edit distance, one numpy row at a time (insertions by a running minimum)."""
    if not reference:
        return float(bool(hypothesis))
    vocabulary: dict[str, int] = {}
    ref = np.array([vocabulary.setdefault(word, len(vocabulary)) for word in reference])
    hyp = np.array([vocabulary.setdefault(word, len(vocabulary)) for word in hypothesis])
    columns = np.arange(len(hyp) + 1)
    previous = columns.copy()
    for index, token in enumerate(ref, start=1):
        current = np.empty_like(previous)
        current[0] = index
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp != token))
        current = np.minimum.accumulate(current - columns) + columns
        previous = current
    return float(previous[-1]) / len(reference)


class GpuMemoryPeak:
    """Peak GPU memory in use (all processes, as NVML reports it) while a block runs; CTranslate2 allocates outside
    PyTorch, so PyTorch's own counters miss it."""

    def __init__(self, device: str) -> None:
        self.enabled = device == "cuda" and importlib.util.find_spec("pynvml") is not None
        self.peak_mib: float | None = None

    def __enter__(self) -> "GpuMemoryPeak":
        if self.enabled:
            import pynvml

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self.peak_mib = 0.0
            self._thread.start()
        return self

    def _poll(self) -> None:
        import pynvml

        while not self._stop.is_set():
            used = pynvml.nvmlDeviceGetMemoryInfo(self._handle).used / (1 << 20)
            self.peak_mib = max(self.peak_mib or 0.0, used)
            self._stop.wait(0.05)

    def __exit__(self, *_: object) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()


def run_faster_whisper(
    model: object, samples: np.ndarray, batch_size: int, device: str
) -> tuple[str, float, float | None]:
    """Transcribe with faster-whisper's own API (beam 5, Silero VAD): the joined text, wall seconds, peak MiB."""
    from faster_whisper import BatchedInferencePipeline

    def work() -> str:
        if batch_size:
            pipeline = BatchedInferencePipeline(model=model)
            segments, _ = pipeline.transcribe(samples, batch_size=batch_size, beam_size=5, vad_filter=True)
        else:
            segments, _ = model.transcribe(samples, beam_size=5, vad_filter=True)
        return " ".join(segment.text.strip() for segment in segments)

    with GpuMemoryPeak(device) as memory:
        text, wall = timed(device, work)
    return text, wall, memory.peak_mib


def setting_name(compute_type: str, batch_size: int) -> str:
    return f"faster-whisper {compute_type}, " + (f"batched {batch_size}" if batch_size else "plain")


def load_whisper(args: argparse.Namespace, compute_type: str) -> object:
    from faster_whisper import WhisperModel

    model, load_s = timed(args.device, WhisperModel, str(args.whisper), device=args.device, compute_type=compute_type)
    print(f"loaded whisper base ({compute_type}) in {load_s:.1f} s", flush=True)
    return model


def faster_whisper_runs(args: argparse.Namespace, report: Report, call: np.ndarray, label: str) -> None:
    """Plain, then each batch size, per compute type; batched words scored against the plain words."""
    for compute_type in args.compute_types:
        model = load_whisper(args, compute_type)
        run_faster_whisper(model, call[: 30 * SAMPLE_RATE], 0, args.device)
        plain_words: list[str] = []
        for batch_size in [0, *args.batch_sizes]:
            text, wall, peak = run_faster_whisper(model, call, batch_size, args.device)
            words = words_of(text)
            quality = f"{len(words)} words"
            if batch_size:
                quality += f", WER vs plain {100 * wer(plain_words, words):.1f} %"
            else:
                plain_words = words
            setting = setting_name(compute_type, batch_size)
            report.add(
                Row("asr", label, device_name(args.device), setting, call.size / SAMPLE_RATE, wall, quality, peak)
            )


def long_runs(args: argparse.Namespace, report: Report, call: np.ndarray) -> None:
    """The AWS call repeated to `--long-minutes`: throughput once the GPU has a long queue of speech."""
    length = int(args.long_minutes * 60 * SAMPLE_RATE)
    if not length:
        return
    long_call = np.tile(call, int(np.ceil(length / call.size)))[:length]
    label = f"AWS call repeated, {args.long_minutes:g} min"
    for compute_type, batch_sizes in args.long_batch_sizes.items():
        model = load_whisper(args, compute_type)
        for batch_size in batch_sizes:
            text, wall, peak = run_faster_whisper(model, long_call, batch_size, args.device)
            quality = f"{len(words_of(text))} words"
            setting = setting_name(compute_type, batch_size)
            report.add(Row("asr", label, device_name(args.device), setting, length / SAMPLE_RATE, wall, quality, peak))


def decoded(samples: np.ndarray, name: str) -> object:
    from models import AudioInfo
    from transcribe import DecodedAudio

    info = AudioInfo(
        container="npz",
        codec="pcm_s16le",
        sample_rate=SAMPLE_RATE,
        channels=samples.shape[0],
        duration_s=samples.shape[1] / SAMPLE_RATE,
        size_bytes=samples.nbytes,
        sha256=name,
    )
    return DecodedAudio(samples=samples, info=info)


def channel_wer(transcript: object, reference: dict[str, list[str]]) -> str:
    """WER of each channel against the reference speaker it matches best, and of both channels pooled."""
    channels = [[words_of(word.text) for word in transcript.words if word.channel == channel] for channel in (0, 1)]
    hypotheses = [[token for tokens in channel for token in tokens] for channel in channels]
    speakers = sorted(reference)
    best = None
    for order in (speakers, speakers[::-1]):
        errors = [
            wer(reference[speaker], hyp) * len(reference[speaker])
            for speaker, hyp in zip(order, hypotheses, strict=True)
        ]
        total = sum(errors) / sum(len(reference[speaker]) for speaker in order)
        if best is None or total < best[0]:
            best = (total, order, errors)
    total, order, errors = best
    parts = [
        f"ch{channel}={order[channel]} {100 * errors[channel] / len(reference[order[channel]]):.1f} %"
        for channel in (0, 1)
    ]
    return f"WER {100 * total:.1f} % ({', '.join(parts)})"


def product_runs(
    args: argparse.Namespace, report: Report, call: np.ndarray, stereo: np.ndarray, reference: dict
) -> None:
    """Our own path: `transcribe_call` with `FasterWhisperBackend` (word times, language detection); the stereo call
    both on its mix and channel by channel."""
    from pipeline.engines import decoding_options
    from pipeline.settings import Settings
    from transcribe import FasterWhisperBackend, StereoRecognition, transcribe_call

    compute_type = args.compute_types[0]
    label = device_name(args.device)
    for batch_size in args.product_batch_sizes:
        backend = FasterWhisperBackend(
            args.whisper,
            device=args.device,
            compute_type=compute_type,
            batch_size=batch_size,
            decoding=decoding_options(Settings()),
        )
        transcribe_call(decoded(call[None, : 30 * SAMPLE_RATE], "warm-up"), backend, language="en")
        setting = f"transcribe_call {compute_type}, batch {batch_size}"
        with GpuMemoryPeak(args.device) as memory:
            transcript, wall = timed(args.device, transcribe_call, decoded(call[None], "aws"), backend)
        quality = f"{len(transcript.words)} words, language {transcript.language}"
        duration = call.size / SAMPLE_RATE
        report.add(Row("transcribe_call", "AWS call (mono)", label, setting, duration, wall, quality, memory.peak_mib))
        for mode in (StereoRecognition.mix, StereoRecognition.channels):
            with GpuMemoryPeak(args.device) as memory:
                transcript, wall = timed(
                    args.device, transcribe_call, decoded(stereo, "spokenwoz"), backend, stereo=mode
                )
            quality = f"{transcript.channels} sides, {channel_wer(transcript, reference)}"
            duration = stereo.shape[1] / SAMPLE_RATE
            audio = f"SpokenWOZ SNG0072 (stereo, {mode.value})"
            report.add(Row("transcribe_call", audio, label, setting, duration, wall, quality, memory.peak_mib))


def long_batch_sizes(specs: list[str]) -> dict[str, list[int]]:
    """'float16:0,16' → {'float16': [0, 16]}: which runs repeat on the long audio (0: plain)."""
    plan: dict[str, list[int]] = {}
    for spec in specs:
        compute_type, _, sizes = spec.partition(":")
        plan[compute_type] = [int(size) for size in sizes.split(",") if size]
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--whisper", type=Path, required=True, help="the CTranslate2 Whisper folder")
    parser.add_argument("--call", type=Path, required=True, help="the AWS call (.npz, mono)")
    parser.add_argument("--stereo", type=Path, required=True, help="a SpokenWOZ call (.npz, stereo)")
    parser.add_argument("--reference", type=Path, required=True, help="its reference words per speaker (.json)")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--compute-types", nargs="+", default=["float16", "int8_float16"])
    parser.add_argument("--batch-sizes", nargs="*", type=int, default=[8, 16, 32])
    parser.add_argument("--long-minutes", type=float, default=60.0)
    parser.add_argument(
        "--long", nargs="*", default=["float16:0,16", "int8_float16:16"], help="compute type:batch sizes"
    )
    parser.add_argument("--product-batch-sizes", nargs="+", type=int, default=[16])
    parser.add_argument("--clip-seconds", type=float, default=0.0, help="cut the AWS call (a quick CPU check)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.long_batch_sizes = long_batch_sizes(args.long)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)
    if importlib.util.find_spec("av") is None:
        sys.path.insert(0, str(Path(__file__).parent / "av_stub"))
    use_repo()
    import ctranslate2

    call = load_audio(args.call)[0]
    if args.clip_seconds:
        call = call[: int(args.clip_seconds * SAMPLE_RATE)]
    stereo = load_audio(args.stereo)
    reference = json.loads(args.reference.read_text())
    label = f"AWS call ({call.size / SAMPLE_RATE / 60:.1f} min, 8 kHz)"
    smi = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]
    gpu = subprocess.run(smi, capture_output=True, text=True).stdout.strip() if args.device == "cuda" else ""
    extra = {"ctranslate2": ctranslate2.__version__, "device": args.device, "gpu": gpu, "repo": str(REPO)}
    report = Report(args.out, "asr", extra)
    # The product path comes before the long runs: if the device's time runs out, the long runs are what is lost.
    faster_whisper_runs(args, report, call, label)
    product_runs(args, report, call, stereo, reference)
    long_runs(args, report, call)
    report.finish()


if __name__ == "__main__":
    main()
