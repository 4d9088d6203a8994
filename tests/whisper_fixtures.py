"""The starter Whisper model for the speech-recognition tests, loaded once per test session."""

from pathlib import Path

import pytest
from faster_whisper import WhisperModel

from pipeline.models_cache import starter_whisper_dir
from transcribe.whisper import FasterWhisperBackend

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "models"
THREADS = 2


@pytest.fixture(scope="session")
def whisper_dir() -> Path:
    return starter_whisper_dir(CACHE)


@pytest.fixture(scope="session")
def whisper_backend(whisper_dir) -> FasterWhisperBackend:
    return FasterWhisperBackend(whisper_dir, cpu_threads=THREADS)


@pytest.fixture(scope="session")
def plain_whisper(whisper_dir) -> WhisperModel:
    """faster-whisper as documented, on the same model files, compute type and threads."""
    return WhisperModel(str(whisper_dir), device="cpu", compute_type="int8", cpu_threads=THREADS)
