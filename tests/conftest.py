import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.support.servers", "tests.support.whisper_fixtures"]

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_CALL = Path(__file__).resolve().parent.parent / "pipeline" / "samples" / "aws_pca_call_8k_mono.wav"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sample_call() -> Path:
    return SAMPLE_CALL
