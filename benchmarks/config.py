"""What a benchmark run compares: one model, device and thread count, used by both the pipeline and plain
faster-whisper so their times are comparable."""

import os
from dataclasses import dataclass
from pathlib import Path

from benchmarks.recordings import ROOT
from pipeline.engines import resolve_compute_type
from pipeline.runtime import Runtime
from pipeline.settings import STARTER, Settings

MODEL_CACHE = ROOT / ".cache" / "models"


@dataclass(frozen=True)
class BenchConfig:
    model: str = STARTER
    device: str = "cpu"
    threads: int = os.cpu_count() or 1

    @property
    def compute_type(self) -> str:
        """The pipeline's 'auto' choice, made explicit so plain faster-whisper is given the same one."""
        return resolve_compute_type("auto", self.device)

    def settings(self, data_dir: Path) -> Settings:
        """Pipeline settings for this run; any other CALLINTEL_ variable in the environment still applies."""
        return Settings(
            data_dir=data_dir,
            model_cache_dir=MODEL_CACHE,
            asr_model=self.model,
            asr_device=self.device,
            asr_compute_type=self.compute_type,
            asr_cpu_threads=self.threads,
            diarization_device=self.device,
            llm_device=self.device,
        )

    def runtime(self, data_dir: Path) -> Runtime:
        return Runtime(self.settings(data_dir))


def prepare_environment() -> None:
    """No telemetry and no hub calls from any process that loads models."""
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
