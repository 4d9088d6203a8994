"""No invented words: the starter Whisper model, with the product's decoding settings, on a few seconds each of
generated line sounds (silence, a ringback tone, hold music, a sub-second tone) must produce no words at all."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path

import numpy as np
import pytest

from benchmarks.line_sounds import cadence, hold_music, noise, tone, write_wav
from pipeline.engines import Engines
from pipeline.settings import Settings
from transcribe import decode, transcribe_call
from transcribe.backend import ASRBackend

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "models"

CLIPS = {
    "digital silence, 8 kHz": (8000, lambda: np.zeros(3 * 8000)),
    "line noise -30 dBFS, 8 kHz": (8000, lambda: noise(3, 8000, -30)),
    "Russian ringback 425 Hz, 1 s on 4 s off, 8 kHz": (8000, lambda: cadence((425,), 1, 4, 6, 8000)),
    "hold music, 16 kHz": (16000, lambda: hold_music(8, 16000)),
    "0.8 s tone, 8 kHz": (8000, lambda: tone((440, 480), 0.8, 8000)),
}


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> ASRBackend:
    """The recogniser exactly as the pipeline builds it, with the product's default decoding settings."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("home"), model_cache_dir=CACHE, asr_device="cpu", asr_cpu_threads=2
    )
    return Engines(settings).asr


@pytest.mark.parametrize("name", list(CLIPS))
def test_no_words_in_line_sounds(name, backend, tmp_path):
    rate, make = CLIPS[name]
    path = write_wav(tmp_path / "clip.wav", make(), rate)
    transcript = transcribe_call(decode(path), backend)
    assert [w.text for w in transcript.words] == [], f"words invented on {name}"
    assert transcript.duration_s > 0
