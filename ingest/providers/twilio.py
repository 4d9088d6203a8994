"""Twilio's recording status callback: a form POST signed with X-Twilio-Signature.

Configure `recordingStatusCallback` (on <Dial record>, <Start><Recording> or the Calls API) to point at
POST {public_url}/ingest/twilio. Twilio signs the callback with the account's auth token: the base64 HMAC-SHA1 of
the URL it called followed by every POST field, sorted by name, as name + value.
"""

import base64
import hashlib
import hmac
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest, configured, same_secret
from models import CallInfo, IncomingCall
from pipeline.settings import Settings

SIGNATURE_HEADER = "X-Twilio-Signature"


def expected_signature(url: str, fields: list[tuple[str, str]], auth_token: str) -> str:
    """Twilio's request signature; repeated fields are sorted and deduplicated by value as its own libraries do."""
    values: dict[str, set[str]] = {}
    for name, value in fields:
        values.setdefault(name, set()).add(value)
    text = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(request: ProviderRequest, settings: Settings) -> str:
    """The URL Twilio signed: behind a proxy the server sees another scheme or host, so public_url wins when set."""
    if not settings.public_url:
        return request.url
    parts = urlsplit(request.url)
    return settings.public_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


def _verify(request: ProviderRequest, fields: list[tuple[str, str]], auth_token: str, settings: Settings) -> None:
    signature = request.header(SIGNATURE_HEADER)
    if not signature:
        raise RejectedRequest(401, f"missing {SIGNATURE_HEADER} header")
    url = signed_url(request, settings)
    if not same_secret(signature, expected_signature(url, fields, auth_token)):
        raise RejectedRequest(
            401, f"{SIGNATURE_HEADER} does not match (signed URL taken as {url.split('?', 1)[0]}; check public_url)"
        )


def _started_at(text: str | None) -> datetime | None:
    """RecordingStartTime is an RFC 2822 date; a value that does not parse is left out rather than refused."""
    if not text:
        return None
    try:
        started = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return started if started.tzinfo else None


def parse(request: ProviderRequest, settings: Settings) -> IncomingCall | Ignored:
    auth_token = configured(settings.twilio_auth_token, "Twilio (CALLINTEL_TWILIO_AUTH_TOKEN)")
    fields = request.form()
    _verify(request, fields, auth_token, settings)
    form = dict(fields)
    missing = [name for name in ("AccountSid", "CallSid", "RecordingSid", "RecordingStatus") if not form.get(name)]
    if missing:
        raise RejectedRequest(422, f"missing {', '.join(missing)}")
    account_sid, call_sid, recording_sid = form["AccountSid"], form["CallSid"], form["RecordingSid"]
    if settings.twilio_account_sid and account_sid != settings.twilio_account_sid:
        raise RejectedRequest(403, f"AccountSid {account_sid} is not the configured Twilio account")
    status = form["RecordingStatus"]
    if status != "completed":
        return Ignored(f"recording {recording_sid} is {status}")
    if not form.get("RecordingUrl"):
        raise RejectedRequest(422, "missing RecordingUrl")
    # .wav asks for the lossless copy (Twilio also serves .mp3). A recording stored dual-channel may be served
    # downmixed (conferences are) unless RequestedChannels=2 asks for both; a mono one refuses that parameter, so it
    # is only sent when the callback reports two channels. The first channel holds the parent call leg, but whether
    # that leg is the rep depends on who placed the call, which this callback does not say: the channel layout is
    # left to settings.channels or the rep cue rule.
    url = form["RecordingUrl"] + ".wav"
    if form.get("RecordingChannels") == "2":
        url += "?RequestedChannels=2"
    info = CallInfo(call_id=call_sid, started_at=_started_at(form.get("RecordingStartTime")))
    return IncomingCall(
        provider="twilio",
        # One call can carry several recordings (a <Record> and a <Dial record>, or a recording per leg); the
        # recording SID keeps each one, and the call SID in front keeps every recording of a call together.
        external_id=f"{call_sid}/{recording_sid}",
        recording_url=url,
        recording_auth=(account_sid, auth_token),
        info=info,
    )
