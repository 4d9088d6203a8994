"""All settings in one place: environment variables prefixed CALLINTEL_ (or a .env file), documented in README."""

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models import ChannelLayout

STARTER = "starter"


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLINTEL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "callintel",
        description="Embedded mode's home: recordings, results and the SQLite database.",
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir when unset.")
    model_cache_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "callintel" / "models",
        description="Where starter models are unpacked and hub models cached.",
    )

    asr_model: str = Field(default=STARTER, description="'starter', a faster-whisper hub name or a local path.")
    asr_device: Literal["auto", "cpu", "cuda"] = "auto"
    asr_compute_type: str = Field(default="auto", description="'auto': int8 on CPU, float16 on GPU.")
    asr_cpu_threads: int = Field(default=0, ge=0, description="0: CTranslate2's default (all cores).")
    asr_beam_size: int = Field(default=5, ge=1)
    asr_batch_size: int = Field(default=0, ge=0, description="> 0 batches VAD chunks (faster on GPU).")
    vocabulary: list[str] = Field(default_factory=list, description="Product and company names to favour.")

    diarization_pipeline: str = Field(default=STARTER, description="'starter', a pyannote hub pipeline or path.")
    diarization_device: Literal["auto", "cpu", "cuda"] = "auto"
    hf_token: SecretStr | None = Field(default=None, description="Hugging Face token for gated hub pipelines.")
    rep_speaker: Literal["auto", "first", "second"] = Field(
        default="auto", description="Mono calls: which diarised speaker is the rep."
    )
    channels: ChannelLayout | None = Field(
        default=None, description="Stereo calls: e.g. 'agent=1,customer=0'. Unset: decided by the rep cue rule."
    )

    llm_backend: Literal["transformers", "openai", "none"] = "transformers"
    llm_model: str = Field(default=STARTER, description="'starter', a transformers model id or path, or a served name.")
    llm_device: Literal["auto", "cpu", "cuda"] = "auto"
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint, e.g. http://host:8000/v1")
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_tokens: int = Field(default=1280, ge=16, description="Answer budget per LLM request.")
    llm_max_prompt_chars: int = Field(default=6000, ge=500)

    language: Literal["auto", "ru", "en"] = "auto"
    summary_language: Literal["call", "ru", "en"] = "call"
    script: str = Field(default="auto", description="'auto' (by call language), a built-in script name or a path.")
    fields: str = Field(default="default", description="A built-in field schema name or a path.")

    @field_validator("channels", mode="before")
    @classmethod
    def _parse_channels(cls, value: object) -> object:
        if isinstance(value, str):
            return ChannelLayout.parse(value) if value.strip() else None
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'callintel.db'}"

    def config_hash(self) -> str:
        """A digest of every setting that changes results, so results of different configurations never mix."""
        relevant = self.model_dump(
            mode="json",
            exclude={"data_dir", "database_url", "model_cache_dir", "hf_token", "llm_api_key", "llm_timeout_s"},
        )
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]
