"""All settings in one place: environment variables prefixed CALLINTEL_ (or a .env file), documented in README."""

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models import ChannelLayout
from summarize.redaction.entities import PiiType

STARTER = "starter"


# The settings that change what a stage produces; only these enter the config hash.
RESULT_SETTINGS = {
    "asr_model",
    "asr_device",
    "asr_compute_type",
    "asr_beam_size",
    "asr_batch_size",
    "asr_condition_on_previous_text",
    "asr_hallucination_silence_threshold",
    "asr_no_speech_threshold",
    "asr_log_prob_threshold",
    "asr_compression_ratio_threshold",
    "asr_vad_threshold",
    "asr_stereo",
    "vocabulary",
    "diarization_pipeline",
    "rep_speaker",
    "channels",
    "llm_backend",
    "llm_model",
    "llm_base_url",
    "llm_max_tokens",
    "llm_max_prompt_chars",
    "llm_context_tokens",
    "language",
    "summary_language",
    "summary_template",
    "script",
    "fields",
}


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
    asr_condition_on_previous_text: bool = Field(
        default=True, description="Prompt each 30-s window with the text before it."
    )
    asr_hallucination_silence_threshold: float | None = Field(
        default=None, gt=0, description="Skip silences longer than this (s) around a suspected invented passage."
    )
    asr_no_speech_threshold: float = Field(default=0.6, ge=0, le=1, description="Above it (and low log-prob): silence.")
    asr_log_prob_threshold: float = Field(default=-1.0, le=0, description="Below it (and no speech): silence.")
    asr_compression_ratio_threshold: float = Field(default=2.4, gt=0, description="Above it: a repetition loop.")
    asr_vad_threshold: float = Field(default=0.5, gt=0, lt=1, description="Silero VAD speech probability threshold.")
    asr_stereo: Literal["auto", "mix", "channels"] = Field(
        default="auto",
        description="Calls with one side per channel: recognise the mix of both ('mix', each word then given to the "
        "louder channel), each channel alone ('channels'), or 'auto': channels when both talk at once over 20 % of "
        "the speech time, else mix.",
    )
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
    llm_context_tokens: int | None = Field(
        default=None,
        ge=512,
        description="The model's context window; a prompt gets what the answer budget leaves. Unset: 8192 for "
        "'openai', the transformers backend's own limit otherwise.",
    )

    language: Literal["auto", "ru", "en"] = "auto"
    summary_language: Literal["call", "auto", "ru", "en"] = Field(
        default="call", description="'call' or 'auto': the call's own language."
    )
    summary_template: str = Field(
        default="none", description="Note template the summary fills: 'none', a bundled name or a YAML path."
    )
    script: str = Field(default="auto", description="'auto' (by call language), a built-in script name or a path.")
    fields: str = Field(default="default", description="A built-in field schema name or a path.")

    storage: Literal["local", "s3"] = Field(default="local", description="Local directory (embedded) or S3/MinIO.")
    s3_endpoint: str = Field(default="127.0.0.1:9000", description="S3/MinIO endpoint, host:port.")
    s3_access_key: str = "callintel"
    s3_secret_key: SecretStr = SecretStr("callintel")
    s3_bucket: str = Field(default="callintel", description="Bucket for recordings and stage outputs.")
    s3_secure: bool = Field(default=False, description="HTTPS to the S3 endpoint.")
    s3_region: str | None = None
    s3_incoming_prefix: str | None = Field(
        default=None, description="Drop zone in the bucket: objects under it are taken in even if no event came."
    )

    broker_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/%2F", description="amqp://... (RabbitMQ) or redis://... (Redis)."
    )
    speech_queue: Literal["gpu", "cpu"] = Field(default="cpu", description="Queue that speech stages are sent to.")
    stage_max_retries: int = Field(default=5, ge=0, description="Retries of a stage after a passing fault.")
    stage_min_backoff_s: float = Field(default=2.0, gt=0)
    stage_max_backoff_s: float = Field(default=300.0, gt=0)
    speech_time_limit_s: float = Field(default=3600.0, gt=0, description="Longest one speech stage may run.")
    llm_time_limit_s: float = Field(default=900.0, gt=0)
    reconcile_after_s: float = Field(default=900.0, gt=0, description="Queued this long with no progress: requeued.")

    api_token: SecretStr | None = Field(default=None, description="Bearer token for the API and uploads.")
    public_url: str | None = Field(default=None, description="This service's URL as providers see it (Twilio).")
    twilio_auth_token: SecretStr | None = None
    twilio_account_sid: str | None = None
    mango_api_key: str | None = None
    mango_api_salt: SecretStr | None = None
    mango_api_url: str = Field(default="https://app.mango-office.ru", description="MANGO OFFICE API base URL.")
    zadarma_api_key: str | None = None
    zadarma_api_secret: SecretStr | None = None
    zadarma_api_url: str = Field(default="https://api.zadarma.com", description="Zadarma API base URL.")
    webhook_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key of the generic webhook.")
    webhook_tolerance_s: float = Field(default=300.0, gt=0, description="Oldest signed timestamp accepted.")
    s3_events_token: SecretStr | None = Field(default=None, description="Bearer token of bucket notifications.")
    crm_secrets_key: SecretStr | None = Field(
        default=None, description="Fernet key that CRM tokens are stored encrypted with (`callintel crm key`)."
    )
    download_hosts: list[str] = Field(
        default_factory=list, description="Hosts recordings may be downloaded from ('*.example.com' allowed)."
    )
    download_allow_private: bool = Field(
        default=False, description="Allow downloads from loopback and private addresses (a PBX on the LAN)."
    )
    download_max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    download_timeout_s: float = Field(default=60.0, gt=0)

    publish_max_attempts: int = Field(default=8, ge=1, description="Delivery attempts before an event is dead.")
    publish_min_backoff_s: float = Field(default=5.0, gt=0)
    publish_max_backoff_s: float = Field(default=3600.0, gt=0)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    retention_days: int | None = Field(default=None, ge=1, description="Raw audio and transcripts kept this long.")

    redact_pii: bool = Field(default=True, description="Redact personal data in everything shown or published.")
    redact_entities: list[PiiType] = Field(
        default_factory=lambda: list(PiiType), description="What is redacted: phone, email, card, passport, snils, inn."
    )
    redact_proposed_contacts: bool = Field(
        default=False, description="Also redact a proposed CRM value that is one phone number or e-mail on its own."
    )

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
        relevant = self.model_dump(mode="json", include=RESULT_SETTINGS)
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]
