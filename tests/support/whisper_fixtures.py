"""The starter Whisper model for the speech-recognition tests, loaded once per test session."""

from pathlib import Path

import pytest
from faster_whisper import WhisperModel

from pipeline.engines import decoding_options
from pipeline.models_cache import starter_whisper_dir
from pipeline.settings import Settings
from transcribe.whisper import DecodingOptions, FasterWhisperBackend

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "models"
THREADS = 2
# The product's default decoding options, as the pipeline takes them from its settings.
DECODING: DecodingOptions = decoding_options(Settings())


@pytest.fixture(scope="session")
def whisper_dir() -> Path:
    return starter_whisper_dir(CACHE)


@pytest.fixture(scope="session")
def whisper_backend(whisper_dir) -> FasterWhisperBackend:
    return FasterWhisperBackend(whisper_dir, compute_type="int8", cpu_threads=THREADS, decoding=DECODING)


@pytest.fixture(scope="session")
def plain_whisper(whisper_dir) -> WhisperModel:
    """faster-whisper as documented, on the same model files, compute type and threads."""
    return WhisperModel(str(whisper_dir), device="cpu", compute_type="int8", cpu_threads=THREADS)
