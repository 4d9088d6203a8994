"""All settings in one place: environment variables prefixed CALLINTEL_ (or a .env file), documented in
docs/configuration.md (generated from these declarations by `python -m pipeline.settings_doc`)."""

import hashlib
import ipaddress
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonDict
from pydantic_settings import BaseSettings, SettingsConfigDict

from models import ChannelLayout
from redaction.entities import PiiType

STARTER = "starter"


# Marks a setting that changes what a stage produces: those, and only those, enter `config_hash`, so adding a
# setting forces the choice where it is declared rather than in a list kept apart from it.
AFFECTS_RESULTS = "affects_results"
RESULT: JsonDict = {AFFECTS_RESULTS: True}
# What the documentation shows as the default of a setting whose default depends on the machine.
SHOWN_DEFAULT = "shown_default"


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLINTEL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "callintel",
        description="Embedded mode's home: recordings, results and the SQLite database.",
        json_schema_extra={SHOWN_DEFAULT: "$XDG_DATA_HOME/callintel (~/.local/share/callintel)"},
    )
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL (`postgresql+psycopg://...`); unset: SQLite in the data dir."
    )
    model_cache_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "callintel" / "models",
        description="Unpacked starter models and cached hub models.",
        json_schema_extra={SHOWN_DEFAULT: "$XDG_CACHE_HOME/callintel/models (~/.cache/callintel/models)"},
    )

    asr_model: str = Field(
        default=STARTER,
        description="'starter', a faster-whisper name (large-v3-turbo, large-v3) or a local CTranslate2 folder.",
        json_schema_extra=RESULT,
    )
    asr_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="Where speech is recognised; 'auto': CUDA when a GPU is visible. It picks the 'auto' compute type.",
        json_schema_extra=RESULT,
    )
    asr_compute_type: str = Field(
        default="auto",
        description="'auto': int8 on CPU, float16 on GPU; or any CTranslate2 compute type.",
        json_schema_extra=RESULT,
    )
    asr_cpu_threads: int = Field(default=0, ge=0, description="CTranslate2 threads (0: its default, all cores).")
    asr_beam_size: int = Field(default=5, ge=1, description="Beam search width.", json_schema_extra=RESULT)
    asr_batch_size: int = Field(
        default=0,
        ge=0,
        description="> 0 runs faster-whisper's batched pipeline on the VAD's chunks (for GPUs).",
        json_schema_extra=RESULT,
    )
    asr_condition_on_previous_text: bool = Field(
        default=True, description="Prompt each 30-s window with the text before it.", json_schema_extra=RESULT
    )
    asr_hallucination_silence_threshold: float | None = Field(
        default=None,
        gt=0,
        description="Skip silences longer than this (s) around a suspected invented passage.",
        json_schema_extra=RESULT,
    )
    asr_no_speech_threshold: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="A 30-s window whose no-speech probability is above it (and mean log-probability below "
        "CALLINTEL_ASR_LOG_PROB_THRESHOLD) is dropped as silence.",
        json_schema_extra=RESULT,
    )
    asr_log_prob_threshold: float = Field(
        default=-1.0,
        le=0,
        description="A window whose mean token log-probability is below it (and no-speech probability above "
        "CALLINTEL_ASR_NO_SPEECH_THRESHOLD) is dropped as silence.",
        json_schema_extra=RESULT,
    )
    asr_compression_ratio_threshold: float = Field(
        default=2.4,
        gt=0,
        description="A window whose text compresses better than this (a repetition loop) is decoded again.",
        json_schema_extra=RESULT,
    )
    asr_vad_threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Silero VAD speech probability; audio below it is never recognised.",
        json_schema_extra=RESULT,
    )
    asr_stereo: Literal["auto", "mix", "channels"] = Field(
        default="auto",
        description="Calls with one side per channel: recognise the mix of both ('mix', each word then given to the "
        "louder channel), each channel alone ('channels'), or 'auto': channels when both talk at once over 20 % of "
        "the speech time, else mix.",
        json_schema_extra=RESULT,
    )
    asr_bias: Literal["none", "prompt", "hotwords"] = Field(
        default="none",
        description="Whether Whisper's decoder is told a call's terms (the bias list: customer, rep, company, team "
        "vocabulary, catalogue; cut to Whisper's 223 prompt tokens, highest priority first): 'hotwords' before "
        "every 30-s window (in place of the text decoded so far), 'prompt' as the first window's prompt, or 'none'. "
        "Measured with distractors, the correction alone recalled as many terms or more with fewer word errors "
        "(benchmarks/README.md, biasing), hence 'none'.",
        json_schema_extra=RESULT,
    )
    asr_bias_correction: bool = Field(
        default=True,
        description='Replace near misses of a call\'s terms that the recogniser was unsure of ("heels road" → '
        '"Hills Road", "Frankie and Danny" → "Frankie and Bennys"), read alike by letters or by sound, by the terms; '
        "works with every recogniser, including those that take no prompt.",
        json_schema_extra=RESULT,
    )
    asr_russian_recogniser: str = Field(
        default="",
        description="The recogniser calls in Russian go to (the language set for the call or its team, else "
        "detected on the first speech): 'gigaam' or 'tone' (the Russian telephony models whose weights "
        "CALLINTEL_ASR_GIGAAM_MODEL and CALLINTEL_ASR_TONE_MODEL point at; 'gigaam:PATH', 'tone:PATH' for other "
        "weights), 'whisper:MODEL' for a second Whisper model, e.g. one fine-tuned on Russian; empty or 'whisper': "
        "CALLINTEL_ASR_MODEL hears every call. A team's own choice wins (`callintel team set --recogniser`).",
        json_schema_extra=RESULT,
    )
    asr_gigaam_model: str = Field(
        default="",
        description="A GigaAM v2/v3 checkpoint (v3_ctc.ckpt, v3_rnnt.ckpt, ...; an e2e one with its "
        "_tokenizer.model beside it), downloaded by hand from GigaAM's releases; used by the 'gigaam' "
        "recogniser. Its accuracy with these weights has not been verified in this project.",
        json_schema_extra=RESULT,
    )
    asr_tone_model: str = Field(
        default="",
        description="T-one's model.onnx (or the folder holding it), downloaded by hand from the t-tech/T-one "
        "release; used by the 'tone' recogniser. Its accuracy with these weights has not been verified in this "
        "project.",
        json_schema_extra=RESULT,
    )
    asr_ctc_batch_size: int = Field(
        default=8,
        ge=1,
        description="Speech segments GigaAM and T-one recognise at once.",
        json_schema_extra=RESULT,
    )
    vocabulary: list[str] = Field(
        default_factory=list,
        description="The company's own names (and any deployment-wide terms), passed to recognition after the "
        "call's customer and rep names and before the team's vocabulary and catalogue.",
        json_schema_extra=RESULT,
    )

    diarization_pipeline: str = Field(
        default=STARTER,
        description="'starter', a pyannote pipeline on the hub (pyannote/speaker-diarization-community-1) or a "
        "local path.",
        json_schema_extra=RESULT,
    )
    diarization_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where mono calls are diarised; 'auto': CUDA when a GPU is visible."
    )
    hf_token: SecretStr | None = Field(
        default=None, description="Hugging Face token for gated pyannote pipelines (never logged)."
    )
    rep_speaker: Literal["auto", "first", "second"] = Field(
        default="auto", description="Mono calls: which diarised speaker is the rep.", json_schema_extra=RESULT
    )
    channels: ChannelLayout | None = Field(
        default=None,
        description="Default stereo layout, e.g. 'agent=1,customer=0'. Unset: decided by the rep cue rule.",
        json_schema_extra=RESULT,
    )

    llm_backend: Literal["transformers", "openai", "none"] = Field(
        default="transformers",
        description="'transformers' (in-process), 'openai' (any OpenAI-compatible server) or 'none' (rules only).",
        json_schema_extra=RESULT,
    )
    llm_model: str = Field(
        default=STARTER,
        description="'starter', a transformers model id or path, or the served model name for 'openai'.",
        json_schema_extra=RESULT,
    )
    llm_items: Literal["auto", "after_rules", "first"] = Field(
        default="auto",
        description="Which script items the LLM decides: 'after_rules' (only what the phrases leave open), 'first' "
        "(every item it may decide; its quoted answer wins over the phrases) or 'auto' ('first' for any model but "
        "the starter). A strong model reads paraphrases the phrases miss; the starter reads steps less reliably.",
        json_schema_extra=RESULT,
    )
    llm_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where the transformers backend runs; 'auto': CUDA when a GPU is visible."
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint, e.g. http://gpu-box:8000/v1 (vLLM, Ollama, llama.cpp server, OpenAI).",
        json_schema_extra=RESULT,
    )
    llm_api_key: SecretStr | None = Field(default=None, description="Bearer token for that server (never logged).")
    llm_timeout_s: float = Field(default=120.0, gt=0, description="Longest wait for one answer of the server.")
    llm_max_tokens: int = Field(
        default=1280, ge=16, description="Answer budget per LLM request.", json_schema_extra=RESULT
    )
    llm_max_prompt_chars: int = Field(
        default=6000,
        ge=500,
        description="Transcript budget per prompt; longer calls are analysed in parts.",
        json_schema_extra=RESULT,
    )
    llm_context_tokens: int | None = Field(
        default=None,
        ge=512,
        description="The model's context window; a prompt gets what the answer budget leaves. Unset: 8192 for "
        "'openai', the transformers backend's own limit otherwise.",
        json_schema_extra=RESULT,
    )

    language: Literal["auto", "ru", "en"] = Field(
        default="auto", description="Default call language; 'auto': detected per call.", json_schema_extra=RESULT
    )
    summary_language: Literal["call", "auto", "ru", "en"] = Field(
        default="call", description="'call' or 'auto': the call's own language.", json_schema_extra=RESULT
    )
    summary_template: str = Field(
        default="none",
        description="Note template the summary fills: 'none', a bundled name or a YAML path.",
        json_schema_extra=RESULT,
    )
    script: str = Field(
        default="auto",
        description="Default call script: 'auto' (by call language), a built-in name or a path.",
        json_schema_extra=RESULT,
    )
    fields: str = Field(
        default="default", description="Default CRM field schema: a built-in name or a path.", json_schema_extra=RESULT
    )

    storage: Literal["local", "s3"] = Field(default="local", description="Local directory (embedded) or S3/MinIO.")
    s3_endpoint: str = Field(default="127.0.0.1:9000", description="S3/MinIO endpoint, host:port.")
    s3_access_key: str = Field(default="callintel", description="S3/MinIO access key.")
    s3_secret_key: SecretStr = Field(default=SecretStr("callintel"), description="S3/MinIO secret key.")
    s3_bucket: str = Field(default="callintel", description="Bucket for recordings and stage outputs.")
    s3_secure: bool = Field(default=False, description="HTTPS to the S3 endpoint.")
    s3_region: str | None = Field(default=None, description="S3 region; unset: the server's default.")
    s3_incoming_prefix: str | None = Field(
        default=None, description="Drop zone in the bucket: objects under it are taken in even if no event came."
    )
    storage_keys: SecretStr | None = Field(
        default=None,
        description="Keys that encrypt recordings, transcripts and results at rest, in S3 or the data directory: "
        "`id:base64` entries, comma-separated (`callintel keys new`); unset: objects are stored unencrypted.",
    )
    storage_key_current: str | None = Field(
        default=None, description="Id of the storage key new objects are encrypted under; unset: the first listed."
    )

    broker_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/%2F", description="amqp://... (RabbitMQ) or redis://... (Redis)."
    )
    speech_queue: Literal["gpu", "cpu"] = Field(default="cpu", description="Queue that speech stages are sent to.")
    stage_max_retries: int = Field(default=5, ge=0, description="Retries of a stage after a passing fault.")
    stage_min_backoff_s: float = Field(default=2.0, gt=0, description="First wait before a stage is retried.")
    stage_max_backoff_s: float = Field(default=300.0, gt=0, description="Longest wait between retries of a stage.")
    stage_retry_for_s: float = Field(
        default=1800.0,
        ge=0,
        description="A stage failing on a passing fault (a server down) is retried for at least this long.",
    )
    speech_time_limit_s: float = Field(default=3600.0, gt=0, description="Longest one speech stage may run.")
    llm_time_limit_s: float = Field(default=900.0, gt=0, description="Longest the analysis (LLM) stage may run.")
    reconcile_after_s: float = Field(default=900.0, gt=0, description="Queued this long with no progress: requeued.")
    orphan_grace_s: float = Field(
        default=3600.0,
        gt=0,
        description="A recording written to storage this long ago with no call pointing at it is deleted.",
    )
    spool_dir: Path | None = Field(
        default=None, description="Where uploads and downloads are spooled before storage; unset: data_dir/spool."
    )

    api_token: SecretStr | None = Field(default=None, description="Bearer token for the API and uploads.")
    mfa_required_roles: list[str] = Field(
        default_factory=list,
        description="Roles (rep, rop, admin) whose local accounts must sign in with a second factor (TOTP).",
    )
    password_login: bool = Field(
        default=True,
        description="Sign-in with a local login and password; false: single sign-on only (API tokens still work).",
    )
    sso_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the OpenID Connect provider (its discovery document is "
        "`<issuer>/.well-known/openid-configuration`); unset: no single sign-on. The redirect URI to register there "
        "is CALLINTEL_PUBLIC_URL + /login/sso/callback.",
    )
    sso_provider_name: str = Field(default="SSO", description="The provider's name on the login page's sign-in button.")
    sso_client_id: str | None = Field(default=None, description="This service's client id at the provider.")
    sso_client_secret: SecretStr | None = Field(
        default=None, description="This service's client secret at the provider (never logged)."
    )
    sso_scopes: list[str] = Field(
        default_factory=lambda: ["openid", "email", "profile"],
        description="Scopes asked for ('openid' is always added); some providers send the groups claim only for "
        "its own scope.",
    )
    sso_groups_claim: str = Field(
        default="groups",
        description="Claim whose values map to roles and teams; a dotted path reaches into an object "
        "('realm_access.roles').",
    )
    sso_roles: dict[str, Literal["rep", "rop", "admin"]] = Field(
        default_factory=dict,
        description='Groups-claim value to role, as JSON (\'{"sales-heads": "rop"}\'); when set, every sign-in '
        "sets the user's role from the claim (the highest one named).",
    )
    sso_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Groups-claim value to team name, as JSON; the first listed value the user has gives their "
        "team (made when missing).",
    )
    sso_default_role: Literal["rep", "rop", "admin"] | None = Field(
        default=None,
        description="Role of a new user whose claim names no role of CALLINTEL_SSO_ROLES; unset: only users "
        "that exist already, or whose claim names a role, may sign in.",
    )
    sso_email_domains: list[str] = Field(
        default_factory=list, description="E-mail domains allowed to sign in ('bank.example'); empty: any."
    )
    sso_trust_email: bool = Field(
        default=False,
        description="Take the provider's e-mail as verified when it sends no email_verified claim (Entra ID).",
    )
    public_url: str | None = Field(default=None, description="This service's URL as providers see it (Twilio).")
    twilio_auth_token: SecretStr | None = Field(default=None, description="Twilio auth token: checks its signatures.")
    twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID; when set, webhooks of other accounts are refused."
    )
    mango_api_key: str | None = Field(default=None, description="MANGO OFFICE API key (its webhooks and downloads).")
    mango_api_salt: SecretStr | None = Field(default=None, description="MANGO OFFICE API salt (signatures).")
    mango_api_url: str = Field(default="https://app.mango-office.ru", description="MANGO OFFICE API base URL.")
    zadarma_api_key: str | None = Field(default=None, description="Zadarma API key (its webhooks and downloads).")
    zadarma_api_secret: SecretStr | None = Field(default=None, description="Zadarma API secret (signatures).")
    zadarma_api_url: str = Field(default="https://api.zadarma.com", description="Zadarma API base URL.")
    zadarma_allowed_sources: list[str] = Field(
        default_factory=list,
        description="Addresses or networks Zadarma notifications may come from ('185.45.152.0/24'); empty: any.",
    )
    webhook_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key of the generic webhook.")
    webhook_tolerance_s: float = Field(default=300.0, gt=0, description="Oldest signed timestamp accepted.")
    s3_events_token: SecretStr | None = Field(default=None, description="Bearer token of bucket notifications.")
    crm_secrets_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that CRM tokens and subscriber signing secrets are stored encrypted with "
        "(`callintel crm key`).",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token /metrics asks for; unset: /metrics is open (for a private network)."
    )
    hsts_max_age_s: int = Field(
        default=31536000, ge=0, description="Strict-Transport-Security max-age sent on HTTPS requests (0: not sent)."
    )
    download_hosts: list[str] = Field(
        default_factory=list, description="Hosts recordings may be downloaded from ('*.example.com' allowed)."
    )
    download_allow_private: bool = Field(
        default=False, description="Allow downloads from loopback and private addresses (a PBX on the LAN)."
    )
    download_max_bytes: int = Field(
        default=200 * 1024 * 1024, gt=0, description="Largest recording taken in (download or upload), in bytes."
    )
    download_timeout_s: float = Field(default=60.0, gt=0, description="Longest one recording download may take.")

    publish_max_attempts: int = Field(default=8, ge=1, description="Delivery attempts before an event is dead.")
    publish_min_backoff_s: float = Field(default=5.0, gt=0, description="First wait before a delivery is retried.")
    publish_max_backoff_s: float = Field(
        default=3600.0, gt=0, description="Longest wait between attempts of a delivery."
    )
    publish_timeout_s: float = Field(default=10.0, gt=0, description="Longest wait for a subscriber's answer.")
    retention_days: int | None = Field(default=None, ge=1, description="Raw audio and transcripts kept this long.")

    redact_pii: bool = Field(default=True, description="Redact personal data in everything shown or published.")
    redact_entities: list[PiiType] = Field(
        default_factory=lambda: list(PiiType), description="What is redacted: phone, email, card, passport, snils, inn."
    )
    redact_proposed_contacts: bool = Field(
        default=False, description="Also redact a proposed CRM value that is one phone number or e-mail on its own."
    )

    @field_validator("zadarma_allowed_sources")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an IP address or network (203.0.113.0/24)") from None
        return [network.strip() for network in value]

    @field_validator("mfa_required_roles")
    @classmethod
    def _check_roles(cls, value: list[str]) -> list[str]:
        roles = [role.strip().lower() for role in value]
        for role in roles:
            if role not in ("rep", "rop", "admin"):
                raise ValueError(f"{role!r} is not a role: rep, rop or admin")
        return roles

    @field_validator("channels", mode="before")
    @classmethod
    def _parse_channels(cls, value: object) -> object:
        if isinstance(value, str):
            return ChannelLayout.parse(value) if value.strip() else None
        return value

    @model_validator(mode="after")
    def _check_sign_in(self) -> "Settings":
        if self.sso_issuer and not self.sso_client_id:
            raise ValueError("CALLINTEL_SSO_ISSUER needs CALLINTEL_SSO_CLIENT_ID")
        if not self.password_login and not self.sso_issuer:
            raise ValueError("CALLINTEL_PASSWORD_LOGIN=false needs single sign-on (CALLINTEL_SSO_ISSUER)")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'callintel.db'}"

    def config_hash(self) -> str:
        """A digest of every setting that changes results, so results of different configurations never mix."""
        relevant = self.model_dump(mode="json", include=set(RESULT_FIELDS))
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def _affects_results(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get(AFFECTS_RESULTS) is True


RESULT_FIELDS = frozenset(name for name, field in Settings.model_fields.items() if _affects_results(field))
