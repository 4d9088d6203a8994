"""CRM change webhooks: each connection gets its own address, `/hooks/crm/<token>`, and each CRM's call to it is
checked its own way before the deals it names are synced (services.deals.passes.changed_deals).

- amoCRM / Kommo: a form (`leads[update][0][id]=...`, also `add`, `status`, `responsible`, `restore`, `delete`).
  amoCRM does not sign its webhooks, so the secret path token is the check.
- Bitrix24 outbound webhooks: a form with `event` (ONCRMDEALADD, ONCRMDEALUPDATE, ONCRMDEALDELETE),
  `data[FIELDS][ID]` and `auth[application_token]`, which must be the token the portal showed for this webhook.
- HubSpot webhooks (v3): a JSON list of events (`objectId`, `subscriptionType` deal.creation, deal.propertyChange,
  deal.restore, deal.deletion), signed in `X-HubSpot-Signature-v3`: base64 HMAC-SHA256, with the app's client
  secret, of the method, the URL, the body and `X-HubSpot-Request-Timestamp`, which must be within 5 minutes.

The token is stored only as its SHA-256; the secrets are sealed with the CRM secrets key like the connection's own.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import CRMConnection, CRMWebhook
from pipeline.settings import Settings
from services.crm_connections import secrets_box
from services.deals.sync import SYNCED_KINDS

HUBSPOT_MAX_AGE_S = 300
BITRIX24_EVENTS = {"ONCRMDEALADD": "changed", "ONCRMDEALUPDATE": "changed", "ONCRMDEALDELETE": "deleted"}
AMOCRM_ACTIONS = {"add": "changed", "update": "changed", "status": "changed", "responsible": "changed",
                  "restore": "changed", "delete": "deleted"}  # fmt: skip
HUBSPOT_EVENTS = {"deal.creation": "changed", "deal.propertyChange": "changed", "deal.restore": "changed",
                  "deal.merge": "changed", "deal.associationChange": "changed", "deal.deletion": "deleted"}  # fmt: skip


class WebhookRefused(BadInput, ValueError):
    """A webhook call that is not from the CRM (a wrong token or signature, a stale timestamp); nothing is synced."""


class WebhookSetupError(BadInput, ValueError):
    """A webhook address that cannot be made as asked; the message names the problem."""


@dataclass
class Changes:
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def add(self, what: str | None, deal_id: object) -> None:
        if what is None or deal_id in (None, ""):
            return
        target = self.deleted if what == "deleted" else self.changed
        if str(deal_id) not in target:
            target.append(str(deal_id))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def make_webhook(session: Session, settings: Settings, connection_id: int, secret: str | None) -> str:
    """A new address token for the connection (replacing any earlier one); `secret` is Bitrix24's application
    token or the HubSpot app's client secret, required for those two."""
    row = session.get(CRMConnection, connection_id)
    if row is None or not row.enabled:
        raise WebhookSetupError(f"no CRM connection {connection_id}")
    if row.kind not in SYNCED_KINDS:
        raise WebhookSetupError(f"{row.kind} connections have no deal sync, so no change webhook")
    needed = {"bitrix24": "the application token Bitrix24 shows for the outbound webhook",
              "hubspot": "the HubSpot app's client secret"}  # fmt: skip
    if row.kind in needed and not (secret and secret.strip()):
        raise WebhookSetupError(f"a {row.kind} webhook needs {needed[row.kind]}")
    if row.kind == "amocrm" and secret:
        raise WebhookSetupError("amoCRM does not sign its webhooks: the address itself is the secret; give no secret")
    token = secrets.token_urlsafe(32)
    hook = session.get(CRMWebhook, connection_id) or CRMWebhook(connection_id=connection_id, token_sha256="")
    hook.token_sha256 = _digest(token)
    hook.secret = secrets_box(settings).seal(SecretStr(secret.strip())) if secret else None
    session.add(hook)
    session.flush()
    return token


def webhook_of(session: Session, settings: Settings, token: str) -> tuple[CRMConnection, SecretStr | None] | None:
    """The connection the address token belongs to and its secret; None for an unknown token."""
    hook = session.scalar(select(CRMWebhook).where(CRMWebhook.token_sha256 == _digest(token)))
    if hook is None:
        return None
    row = session.get(CRMConnection, hook.connection_id)
    if row is None or not row.enabled:
        return None
    return row, secrets_box(settings).open(hook.secret) if hook.secret else None


def amocrm_changes(body: bytes) -> Changes:
    changes = Changes()
    for key, value in parse_qsl(body.decode("utf-8", "replace")):
        parts = key.replace("]", "").split("[")
        if len(parts) == 4 and parts[0] == "leads" and parts[3] == "id":
            changes.add(AMOCRM_ACTIONS.get(parts[1]), value)
    return changes


def bitrix24_changes(body: bytes, application_token: SecretStr | None) -> Changes:
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    given = form.get("auth[application_token]", "")
    expected = application_token.get_secret_value() if application_token else ""
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookRefused("auth[application_token] is not the application token stored for this webhook")
    changes = Changes()
    changes.add(BITRIX24_EVENTS.get(form.get("event", "").upper()), form.get("data[FIELDS][ID]"))
    return changes


def hubspot_changes(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    client_secret: SecretStr | None,
    now: float | None = None,
) -> Changes:
    signature = headers.get("x-hubspot-signature-v3", "")
    stamp = headers.get("x-hubspot-request-timestamp", "")
    if not signature or not stamp.isdigit():
        raise WebhookRefused("X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp is missing")
    age_s = (now if now is not None else time.time()) - int(stamp) / 1000
    if abs(age_s) > HUBSPOT_MAX_AGE_S:
        raise WebhookRefused(f"X-HubSpot-Request-Timestamp is {int(age_s)} s away from now (at most 300 s)")
    if client_secret is None:
        raise WebhookRefused("no app client secret is stored for this webhook")
    signed = method.upper().encode() + url.encode() + body + stamp.encode()
    expected = base64.b64encode(hmac.new(client_secret.get_secret_value().encode(), signed, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.encode()):
        raise WebhookRefused("X-HubSpot-Signature-v3 does not match the body signed with the app's client secret")
    try:
        events = json.loads(body)
    except ValueError:
        raise WebhookRefused("the body is not JSON") from None
    changes = Changes()
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict):
            changes.add(HUBSPOT_EVENTS.get(str(event.get("subscriptionType"))), event.get("objectId"))
    return changes


def crm_changes(
    kind: str, secret: SecretStr | None, method: str, url: str, body: bytes, headers: dict[str, str]
) -> Changes:
    """The deals a CRM's webhook call names, once the call is checked (WebhookRefused otherwise)."""
    if kind == "amocrm":
        return amocrm_changes(body)
    if kind == "bitrix24":
        return bitrix24_changes(body, secret)
    if kind == "hubspot":
        return hubspot_changes(method, url, body, headers, secret)
    raise WebhookRefused(f"{kind} connections take no change webhooks")
