"""The generic JSON webhook, for any PBX or script that can sign a request.

Headers:
    X-Callintel-Timestamp: unix seconds when the request was signed
    X-Callintel-Signature: sha256=<hex HMAC-SHA256 of f"{timestamp}.{raw body}" keyed by CALLINTEL_WEBHOOK_SECRET>

Body (JSON object; only call_id is required):
    call_id         the PBX's call id, the key for deduplication (string or number)
    recording_url   where to download the recording; without it the call is acknowledged and ignored
    direction       "inbound", "outbound" or "unknown"
    rep_extension   the rep's PBX extension
    rep_id          the rep's id in the team directory
    from_number     the calling number
    to_number       the called number
    started_at      ISO 8601 with an offset, e.g. "2024-05-01T10:15:00+03:00"
    timezone        the team's IANA time zone, e.g. "Europe/Moscow"
    channels        stereo layout, e.g. "agent=1,customer=0"
    crm_lead_id     the CRM lead (string or number)
    crm_deal_id     the CRM deal (string or number)
    language        "ru", "en" or "auto"
"""

import json
import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError, field_validator

from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest, configured, validation_reason
from models import CallDirection, CallInfo, ChannelLayout, IncomingCall
from pipeline.settings import Settings
from pipeline.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


def _id_text(value: object) -> object:
    # Ids and phone numbers arrive as JSON numbers as often as strings; both mean the same thing.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class CallMeta(BaseModel):
    """The call fields a webhook body or an upload's `meta` may carry."""

    model_config = ConfigDict(extra="ignore")

    call_id: str | None = None
    recording_url: str | None = None
    direction: CallDirection = CallDirection.unknown
    rep_extension: str | None = None
    rep_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    started_at: AwareDatetime | None = None
    timezone: str | None = None
    channels: ChannelLayout | None = None
    crm_lead_id: str | None = None
    crm_deal_id: str | None = None
    language: str | None = None

    @field_validator(
        "call_id", "rep_extension", "rep_id", "from_number", "to_number", "crm_lead_id", "crm_deal_id", mode="before"
    )
    @classmethod
    def _ids(cls, value: object) -> object:
        return _id_text(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("channels", mode="before")
    @classmethod
    def _layout(cls, value: object) -> object:
        return ChannelLayout.parse(value) if isinstance(value, str) else value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None or value == "auto":
            return None
        if value not in {"ru", "en"}:
            raise ValueError(f"expected 'ru', 'en' or 'auto', got {value!r}")
        return value

    def info(self) -> CallInfo:
        return CallInfo(
            call_id=self.call_id,
            started_at=self.started_at,
            timezone=self.timezone,
            direction=self.direction,
            from_number=self.from_number,
            to_number=self.to_number,
            rep_id=self.rep_id,
            rep_extension=self.rep_extension,
            crm_lead_id=self.crm_lead_id,
            crm_deal_id=self.crm_deal_id,
            language=self.language,
            channels=self.channels,
        )


def parse_meta(data: Any) -> CallMeta:
    """Validate call fields already decoded from JSON; a 422 names every field that is wrong."""
    if not isinstance(data, dict):
        raise RejectedRequest(422, f"expected a JSON object, got {type(data).__name__}")
    try:
        return CallMeta.model_validate(data)
    except ValidationError as exc:
        raise RejectedRequest(422, validation_reason(exc)) from exc


def _verify(request: ProviderRequest, settings: Settings) -> None:
    secret = configured(settings.webhook_secret, "the generic webhook (CALLINTEL_WEBHOOK_SECRET)")
    problem = verify(
        secret,
        request.header(TIMESTAMP_HEADER),
        request.body,
        request.header(SIGNATURE_HEADER),
        now=time.time(),
        tolerance_s=settings.webhook_tolerance_s,
    )
    if problem is not None:
        raise RejectedRequest(401, problem)


def parse(request: ProviderRequest, settings: Settings) -> IncomingCall | Ignored:
    _verify(request, settings)
    try:
        data = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RejectedRequest(422, f"body is not valid JSON: {exc}") from exc
    meta = parse_meta(data)
    if not meta.call_id:
        raise RejectedRequest(422, "call_id: required")
    if not meta.recording_url:
        return Ignored(f"call {meta.call_id} has no recording_url")
    return IncomingCall(
        provider="webhook", external_id=meta.call_id, recording_url=meta.recording_url, info=meta.info()
    )
