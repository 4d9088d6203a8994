import logging
import os
from pathlib import Path

import pytest

from pipeline.logs import NOISY_LOGGERS

pytest_plugins = ["tests.support.servers", "tests.support.whisper_fixtures"]

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_CALL = Path(__file__).resolve().parent.parent / "pipeline" / "samples" / "aws_pca_call_8k_mono.wav"


@pytest.fixture(autouse=True)
def log_levels_as_found():
    """A command run in-process (CliRunner) configures logging for the whole process, quieting httpx and the other
    libraries; each test leaves the levels as it found them, so a later test still sees their records."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in NOISY_LOGGERS)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sample_call() -> Path:
    return SAMPLE_CALL
