"""MANGO OFFICE Virtual PBX (VPBX API): the "record added" event, sent when a call recording reaches the cloud.

Set the API connector's event URL to {public_url}/ingest/mango; MANGO appends the event path, so the recording
event arrives at POST /ingest/mango/events/record/added. Every request in both directions is a form with
`vpbx_api_key`, `json` and `sign` = hex SHA-256 of vpbx_api_key + json + vpbx_api_salt.
The event carries no audio: the recording is fetched with a signed POST to {mango_api_url}/vpbx/queries/recording/post,
which answers with a redirect to a short-lived link (or with the file itself).
"""

import hashlib
import json
from typing import Any

from ingest.providers.base import ProviderRequest, RejectedRequest, configured, same_secret
from models import CallInfo, IncomingCall
from pipeline.settings import Settings


def sign(api_key: str, payload: str, salt: str) -> str:
    return hashlib.sha256((api_key + payload + salt).encode("utf-8")).hexdigest()


def _verify(request: ProviderRequest, api_key: str, salt: str) -> str:
    """The event's `json` field, once the key and signature are right."""
    form = dict(request.form())
    for name in ("vpbx_api_key", "sign"):
        if not form.get(name):
            raise RejectedRequest(401, f"missing form field {name}")
    if "json" not in form:
        raise RejectedRequest(422, "missing form field json")
    if not same_secret(form["vpbx_api_key"], api_key):
        raise RejectedRequest(401, "vpbx_api_key is not the configured MANGO OFFICE key")
    if not same_secret(form["sign"].lower(), sign(api_key, form["json"], salt)):
        raise RejectedRequest(401, "sign does not match the json field")
    return form["json"]


def _id(event: dict[str, Any], name: str) -> str:
    value = event.get(name)
    if value is None or value == "":
        raise RejectedRequest(422, f"json.{name}: required")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RejectedRequest(422, f"json.{name}: expected a string or a number, got {type(value).__name__}")
    return str(value)


def recording_form(recording_id: str, api_key: str, salt: str) -> dict[str, str]:
    """The signed form that asks the VPBX API for a recording's audio."""
    payload = json.dumps({"recording_id": recording_id, "action": "download"})
    return {"vpbx_api_key": api_key, "sign": sign(api_key, payload, salt), "json": payload}


def parse_record_added(request: ProviderRequest, settings: Settings) -> IncomingCall:
    api_key = configured(settings.mango_api_key, "MANGO OFFICE (CALLINTEL_MANGO_API_KEY)")
    salt = configured(settings.mango_api_salt, "MANGO OFFICE (CALLINTEL_MANGO_API_SALT)")
    payload = _verify(request, api_key, salt)
    try:
        event = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise RejectedRequest(422, f"json field is not valid JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise RejectedRequest(422, f"json field: expected an object, got {type(event).__name__}")
    recording_id, entry_id = _id(event, "recording_id"), _id(event, "entry_id")
    return IncomingCall(
        provider="mango",
        # entry_id names the whole call (transfers included) and each recording in it has its own recording_id:
        # both together keep a transferred call's second recording from being taken for a duplicate of the first.
        external_id=f"{entry_id}/{recording_id}",
        recording_url=settings.mango_api_url.rstrip("/") + "/vpbx/queries/recording/post",
        recording_form=recording_form(recording_id, api_key, salt),
        # The event names the employee only by VPBX user_id, which the team directory (extensions, phones) does
        # not know, so the rep is left unset here.
        info=CallInfo(call_id=entry_id),
    )
