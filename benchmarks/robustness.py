"""What each recogniser invents on recordings with no speech in them (`line_sounds.py`).

Telephone line sounds at 8 and 16 kHz: digital silence, low noise, dial and ringback tones (425 Hz, Russian
cadence 1 s on / 4 s off; 350+440 Hz US dial, 440+480 Hz US ringback 2 s on / 4 s off), DTMF digits, hold music
(synthetic chords with harmonics and a slow tremolo), clips under a second, and a real speech file with 20 s of
hold music appended. Any word recognised on a no-speech clip is invented; on the speech file, every word after
the speech ends is.
"""

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions

from benchmarks.line_sounds import generated_clips, hold_music, write_wav
from benchmarks.speech_refs import TextReference
from benchmarks.speech_systems import run_plain
from benchmarks.wer import Errors, errors
from pipeline.runtime import Runtime
from transcribe.audio import decode
from transcribe.core import transcribe_call
from transcribe.whisper import DecodingOptions

Row = dict[str, object]
log = logging.getLogger(__name__)


def speech_then_music(speech: TextReference, folder: Path) -> tuple[Path, float]:
    """The speech file at 16 kHz with 20 s of hold music after it; returns the file and where the speech ends."""
    samples = decode(speech.path).samples.mean(axis=0)
    path = write_wav(folder / f"{speech.path.stem}+hold.wav", np.concatenate([samples, hold_music(20, 16000)]), 16000)
    return path, samples.size / 16000


@dataclass(frozen=True)
class Clip:
    name: str
    path: Path
    rate: int
    speech_end_s: float = 0.0


def write_clips(folder: Path, speech: TextReference) -> tuple[list[Clip], Clip]:
    clips = []
    for index, (name, rate, samples) in enumerate(generated_clips()):
        clips.append(Clip(name, write_wav(folder / f"clip{index:02d}_{rate}.wav", samples, rate), rate))
    path, end = speech_then_music(speech, folder)
    return clips, Clip(f"{speech.path.name} + 20 s hold music", path, 16000, end)


def _ours_words(runtime: Runtime, clip: Clip) -> list[tuple[float, str]]:
    transcript = transcribe_call(decode(clip.path), runtime.engines.asr)
    return [(w.start, w.text) for w in transcript.words]


def score_robustness(clips: list[Clip], with_music: Clip, speech: TextReference, runtime, plain, tick) -> list[Row]:
    rows = []
    for clip in [*clips, with_music]:
        tick(clip.name)
        ours = _ours_words(runtime, clip)
        theirs = run_plain(plain, clip.path)
        plain_words = [(s, t) for s, _, text in theirs.segments for t in text.split()]
        row: Row = {
            "clip": clip.name,
            "kHz": clip.rate // 1000,
            "invented ours": sum(start >= clip.speech_end_s for start, _ in ours),
            "invented plain": sum(start >= clip.speech_end_s for start, _ in plain_words),
            "ours said": " ".join(text for start, text in ours if start >= clip.speech_end_s)[:60],
            "plain said": " ".join(text for start, text in plain_words if start >= clip.speech_end_s)[:60],
        }
        if clip is with_music:
            row["WER ours"] = errors(speech.text, " ".join(t for _, t in ours), speech.language)
            row["WER plain"] = errors(speech.text, theirs.text, speech.language)
        log.info("%s", row)
        rows.append(row)
    return rows


def faster_whisper_defaults() -> DecodingOptions:
    """faster-whisper's own defaults, read from its `transcribe` signature and `VadOptions`."""
    parameters = inspect.signature(WhisperModel.transcribe).parameters
    given = {f.name: parameters[f.name].default for f in fields(DecodingOptions) if f.name != "vad_threshold"}
    return DecodingOptions(**given, vad_threshold=VadOptions().threshold)


def setting_variants(product: DecodingOptions) -> list[tuple[str, DecodingOptions]]:
    """One row per guard, each changed alone from faster-whisper's defaults, then the product's choice."""
    base = faster_whisper_defaults()
    return [
        ("faster-whisper defaults", base),
        ("condition_on_previous_text off", replace(base, condition_on_previous_text=False)),
        ("hallucination_silence_threshold 2 s", replace(base, hallucination_silence_threshold=2.0)),
        ("no_speech_threshold 0.4", replace(base, no_speech_threshold=0.4)),
        ("log_prob_threshold -0.5", replace(base, log_prob_threshold=-0.5)),
        ("compression_ratio_threshold 2.0", replace(base, compression_ratio_threshold=2.0)),
        ("VAD threshold 0.65", replace(base, vad_threshold=0.65)),
        ("product default", product),
    ]


def score_settings(
    clips: list[Clip],
    robust_rows: list[Row],
    speech: list[TextReference],
    runtime: Runtime,
    tick: Callable[[str], None],
) -> list[Row]:
    """Invented words and corpus WER per language on real speech under each decoding setting (ours only; the
    recogniser's settings are swapped in place). The invented words are counted on the clips (the speech file with
    hold music included) where ours or plain faster-whisper invented anything with its own settings: a clip the
    VAD drops whole gives no words under any of these settings."""
    backend = runtime.engines.asr
    product = backend.decoding
    names = {str(row["clip"]) for row in robust_rows if row["invented ours"] or row["invented plain"]}
    suspects = [clip for clip in clips if clip.name in names]
    rows = []
    try:
        for name, options in setting_variants(product):
            tick(name)
            backend.decoding = options
            invented = sum(
                sum(start >= clip.speech_end_s for start, _ in _ours_words(runtime, clip)) for clip in suspects
            )
            totals: dict[str, Errors] = {}
            for ref in speech:
                transcript = transcribe_call(decode(ref.path), backend)
                words = transcript.words
                if ref.order == "channel":
                    words = sorted(words, key=lambda w: (w.channel, w.start))
                found = errors(ref.text, " ".join(w.text for w in words), ref.language)
                totals[ref.language] = totals.get(ref.language, Errors(0, 0)) + found
            row = {"setting": name, "clips": len(suspects), "invented words": invented}
            row |= {f"WER {k}": v for k, v in totals.items()}
            log.info("%s", row)
            rows.append(row)
    finally:
        backend.decoding = product
    return rows
