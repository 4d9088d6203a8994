"""Zadarma PBX call notifications, and the API query that turns a recorded call into a download link.

Set the PBX notification URL to {public_url}/ingest/zadarma. Zadarma first checks the URL with
GET ?zd_echo=<value>, which must answer the value itself; then it POSTs form-encoded events with a `Signature`
header: base64 of the hex HMAC-SHA1, keyed by the API secret, of fields that depend on the event.
NOTIFY_END (inbound) and NOTIFY_OUT_END (outbound) describe a finished call; NOTIFY_RECORD says its recording is
ready.

Only what a signature covers is believed. NOTIFY_END signs caller_id, called_did and call_start, and NOTIFY_OUT_END
internal, destination and call_start: neither signs pbx_call_id, and NOTIFY_END not the extension, so a captured
end event resent with another call's id or another extension would pass its check. Calls are therefore taken in
at NOTIFY_RECORD alone, whose signature covers both fields used (pbx_call_id, call_id_with_rec); the end events are
checked and acknowledged, and give no rep. Zadarma's signatures carry no time, so a signed event sent again is
told apart by its signature, remembered by ingest.providers.zadarma_replay once its call is taken in.
"""

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlencode

import httpx

from ingest.download import DownloadError, DownloadUnavailable
from ingest.providers.base import Ignored, ProviderRequest, RejectedRequest, configured, same_secret
from models import CallInfo, IncomingCall
from pipeline.settings import Settings

SIGNATURE_HEADER = "Signature"
RECORD_REQUEST = "/v1/pbx/record/request/"
SIGNED_FIELDS = {
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
ECHO = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def _hmac_b64(secret: str, text: str) -> str:
    # Zadarma base64-encodes the hex digest (PHP's hash_hmac default), not the raw bytes.
    hex_digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).hexdigest()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


def expected_signature(fields: dict[str, str], secret: str) -> str:
    return _hmac_b64(secret, "".join(fields.get(name, "") for name in SIGNED_FIELDS[fields["event"]]))


def api_authorization(method: str, params: dict[str, str], key: str, secret: str) -> str:
    """The Authorization header of a Zadarma API call: key, then the signature of method + sorted query + its MD5."""
    query = urlencode(sorted(params.items()))
    return f"{key}:{_hmac_b64(secret, method + query + hashlib.md5(query.encode('utf-8')).hexdigest())}"


def echo(request: ProviderRequest, settings: Settings) -> str:
    """The zd_echo value Zadarma sends when the notification URL is saved, to be answered as plain text."""
    configured(settings.zadarma_api_secret, "Zadarma (CALLINTEL_ZADARMA_API_SECRET)")
    value = request.query().get("zd_echo", "")
    if not ECHO.fullmatch(value):
        raise RejectedRequest(400, "zd_echo must be 1-128 letters, digits, '_', '.' or '-'")
    return value


def parse(request: ProviderRequest, settings: Settings) -> IncomingCall | Ignored:
    configured(settings.zadarma_api_key, "Zadarma (CALLINTEL_ZADARMA_API_KEY)")
    secret = configured(settings.zadarma_api_secret, "Zadarma (CALLINTEL_ZADARMA_API_SECRET)")
    form = dict(request.form())
    event = form.get("event", "")
    if event not in SIGNED_FIELDS:
        return Ignored(f"event {event or '(none)'} announces no recording")
    signature = request.header(SIGNATURE_HEADER)
    if not signature:
        raise RejectedRequest(401, f"missing {SIGNATURE_HEADER} header")
    if not same_secret(signature.strip(), expected_signature(form, secret)):
        raise RejectedRequest(401, f"{SIGNATURE_HEADER} does not match {' + '.join(SIGNED_FIELDS[event])}")
    if not form.get("pbx_call_id"):
        raise RejectedRequest(422, "missing pbx_call_id")
    if event != "NOTIFY_RECORD":
        return Ignored(f"{event} does not sign pbx_call_id; the call is taken in at its NOTIFY_RECORD")
    # call_id_with_rec names the recording itself; without it the call's first recording is asked for.
    params = (
        {"call_id": form["call_id_with_rec"]} if form.get("call_id_with_rec") else {"pbx_call_id": form["pbx_call_id"]}
    )
    return IncomingCall(
        provider="zadarma",
        # Signed in NOTIFY_RECORD, so a notification cannot pass one call's recording off as another's.
        external_id=form["pbx_call_id"],
        recording_url=f"{settings.zadarma_api_url.rstrip('/')}{RECORD_REQUEST}?{urlencode(params)}",
        info=CallInfo(call_id=form["pbx_call_id"]),
    )


async def with_recording_link(incoming: IncomingCall, settings: Settings) -> IncomingCall:
    """The call with recording_url turned from the API query into the short-lived link the API answers with."""
    key = configured(settings.zadarma_api_key, "Zadarma (CALLINTEL_ZADARMA_API_KEY)")
    secret = configured(settings.zadarma_api_secret, "Zadarma (CALLINTEL_ZADARMA_API_SECRET)")
    url, _, query = (incoming.recording_url or "").partition("?")
    params = dict(parse_qsl(query)) | {"format": "json"}
    headers = {"Authorization": api_authorization(RECORD_REQUEST, params, key, secret)}
    try:
        async with httpx.AsyncClient(timeout=settings.download_timeout_s) as client:
            response = await client.get(url, params=sorted(params.items()), headers=headers)
    except httpx.HTTPError as exc:
        raise DownloadUnavailable(f"Zadarma API unreachable: {exc}") from exc
    if response.status_code >= 500:
        raise DownloadUnavailable(f"Zadarma API answered {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise DownloadError(f"Zadarma API answered {response.status_code} without a JSON object")
    links = [answer.get("link")] if answer.get("link") else answer.get("links") or []
    if response.status_code != 200 or answer.get("status") != "success" or not links or not isinstance(links[0], str):
        raise DownloadError(f"Zadarma API gave no recording link: {answer.get('message') or response.status_code}")
    return incoming.model_copy(update={"recording_url": links[0]})
