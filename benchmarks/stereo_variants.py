"""`python -m benchmarks.stereo_variants`: where per-channel recognition of the SpokenWOZ calls loses words against
plain faster-whisper on the downmix, one decoding change at a time.

Every row runs plain faster-whisper (`WhisperModel(...).transcribe(audio, beam_size=5, vad_filter=True)`, the
pipeline's model files, device, compute type and threads) with one change, on the mono downmix or on each channel
alone. Errors are counted against the SpokenWOZ reference: on the downmix against all words in time order, per
channel against that channel's speaker (A on channel 0, B on channel 1), summed over both channels, which is the
cpWER count of a per-channel transcript. `ours` is the product's transcribe stage itself, for comparison: per
channel, and on the mix with each word given to its louder channel (the product's choice on these calls).
"""

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.report import run_header
from benchmarks.speech_refs import AGENT, StereoCall, stereo_calls
from benchmarks.wer import Errors, errors
from transcribe.audio import decode
from transcribe.core import StereoRecognition, transcribe_call
from transcribe.whisper import FasterWhisperBackend

WORDS = {"word_timestamps": True}
VARIANTS: dict[str, tuple[str, dict]] = {
    "downmix, documented call": ("downmix", {}),
    "downmix, word timestamps": ("downmix", WORDS),
    "per channel, documented call": ("channels", {}),
    "per channel, word timestamps": ("channels", WORDS),
    "per channel, word timestamps, condition_on_previous_text off": (
        "channels",
        WORDS | {"condition_on_previous_text": False},
    ),
    "per channel, word timestamps, VAD threshold 0.35": ("channels", WORDS | {"vad_parameters": {"threshold": 0.35}}),
    "per channel, word timestamps, VAD speech pad 800 ms": (
        "channels",
        WORDS | {"vad_parameters": {"speech_pad_ms": 800}},
    ),
    "per channel, word timestamps, VAD min silence 500 ms": (
        "channels",
        WORDS | {"vad_parameters": {"min_silence_duration_ms": 500}},
    ),
    "per channel, word timestamps, no VAD": ("channels", WORDS | {"vad_filter": False}),
}


def plain_errors(model: WhisperModel, call: StereoCall, samples: np.ndarray, mode: str, options: dict) -> Errors:
    def text(audio: np.ndarray) -> str:
        kwargs = {"beam_size": 5, "vad_filter": True, **options}
        segments, _ = model.transcribe(np.ascontiguousarray(audio, dtype=np.float32), **kwargs)
        return " ".join(segment.text for segment in segments)

    if mode == "downmix":
        return errors(call.text, text(samples.mean(axis=0)))
    speakers = call.speaker_texts()
    first = errors(speakers["A"], text(samples[0]))
    return first + errors(speakers[AGENT], text(samples[1]))


def ours_errors(backend: FasterWhisperBackend, call: StereoCall, stereo: StereoRecognition) -> Errors:
    words = transcribe_call(decode(call.path), backend, stereo=stereo).words
    speakers = call.speaker_texts()
    total = Errors(0, 0)
    for channel, speaker in ((0, "A"), (1, AGENT)):
        total = total + errors(speakers[speaker], " ".join(w.text for w in words if w.channel == channel))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stereo_variants", description=__doc__)
    parser.add_argument("--threads", type=int, default=BenchConfig.threads, help="CPU threads for recognition.")
    args = parser.parse_args()
    prepare_environment()
    config = BenchConfig(threads=args.threads)
    print(run_header(config) + "\n")
    calls = stereo_calls()
    print("| variant | " + " | ".join(call.path.stem for call in calls) + " |")
    print("|---|" + "---|" * len(calls))
    with tempfile.TemporaryDirectory(prefix="callintel-stereo-variants-") as home:
        backend = config.runtime(Path(home)).engines.asr
        model = WhisperModel(
            backend.name, device=config.device, compute_type=config.compute_type, cpu_threads=args.threads
        )
        audio = {call.path: decode(call.path).samples for call in calls}
        rows: dict[str, Callable[[StereoCall], Errors]] = {
            name: (lambda call, mode=mode, options=options: plain_errors(model, call, audio[call.path], mode, options))
            for name, (mode, options) in VARIANTS.items()
        }
        for name, stereo in (
            ("ours per channel (transcribe stage)", StereoRecognition.channels),
            ("ours on the mix, words to channels (transcribe stage)", StereoRecognition.mix),
        ):
            rows[name] = lambda call, stereo=stereo: ours_errors(backend, call, stereo)
        for name, score in rows.items():
            cells = [score(call) for call in calls]
            print(f"| {name} | " + " | ".join(f"{c.errors}/{c.words} ({c.rate:.1%})" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
