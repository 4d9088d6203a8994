"""The recognisers a team can choose, by name, and how the Russian CTC ones are opened from a model path.

`whisper` (faster-whisper, any language; `transcribe.whisper`) is the default. `gigaam` and `tone` recognise
Russian only, from the published weights the operator downloads (`transcribe.gigaam`, `transcribe.tone`).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Literal, get_args

from transcribe.backend import ASRBackend

Recogniser = Literal["whisper", "gigaam", "tone"]
RECOGNISERS: tuple[str, ...] = get_args(Recogniser)
RUSSIAN_ONLY = frozenset({"gigaam", "tone"})


def open_russian_recogniser(
    name: str,
    model: str | Path,
    *,
    device: str,
    batch_size: int,
    vad_threshold: float | None,
    cpu_threads: int = 0,
    release_memory: Callable[[], None] | None = None,
) -> ASRBackend:
    """The `gigaam` or `tone` recogniser with the weights at `model`; `cpu_threads` (0: all cores) is onnxruntime's."""
    if name == "gigaam":
        from transcribe.gigaam import GigaAMBackend

        return GigaAMBackend(
            model, device=device, batch_size=batch_size, vad_threshold=vad_threshold, release_memory=release_memory
        )
    if name == "tone":
        from transcribe.tone import ToneBackend

        return ToneBackend(
            model,
            device=device,
            batch_size=batch_size,
            vad_threshold=vad_threshold,
            cpu_threads=cpu_threads,
            release_memory=release_memory,
        )
    raise ValueError(f"unknown Russian recogniser {name!r}: expected one of {sorted(RUSSIAN_ONLY)}")
