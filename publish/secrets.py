"""Subscriber signing secrets at rest, sealed with the same key as CRM secrets, and subscriber URLs as shown.

A secret is sealed when the subscriber is added. Rows written before secrets were sealed still hold plaintext:
`seal_plaintext_secrets` seals them in the publish worker's first round that has the key, and until then such a
row signs with its plaintext, so a deployment that upgrades before setting the key keeps delivering.
"""

import logging
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr
from sqlalchemy import select

from crm_fill.adapters.secrets import SecretBox, SecretKeyError
from models.errors import BadInput
from pipeline.db import Subscriber
from pipeline.runtime import Runtime
from pipeline.settings import Settings

log = logging.getLogger(__name__)

KEY_SETTING = "CALLINTEL_CRM_SECRETS_KEY"


class SubscriberSecretError(BadInput, ValueError):
    """No usable key for subscriber secrets: unset, malformed, or not the key a secret was sealed with."""


def _box(settings: Settings) -> SecretBox:
    key = settings.crm_secrets_key
    if key is None or not key.get_secret_value().strip():
        raise SubscriberSecretError(
            f"{KEY_SETTING} is not set: subscriber signing secrets are stored encrypted with it "
            "(make one with `callintel crm key`, and give every API and worker process the same key)"
        )
    try:
        return SecretBox(key)
    except SecretKeyError as exc:
        raise SubscriberSecretError(f"{KEY_SETTING}: {exc}") from None


def seal_secret(settings: Settings, secret: str) -> str:
    return _box(settings).seal(SecretStr(secret))


def signing_secret(settings: Settings, subscriber: Subscriber) -> str:
    """The secret events to this subscriber are signed with."""
    if subscriber.sealed_secret is None:
        if subscriber.secret is None:
            raise SubscriberSecretError(f"subscriber {subscriber.id} has no signing secret")
        return subscriber.secret
    try:
        return _box(settings).open(subscriber.sealed_secret).get_secret_value()
    except SecretKeyError:
        raise SubscriberSecretError(
            f"subscriber {subscriber.id}: its signing secret cannot be decrypted with {KEY_SETTING} "
            "(a different key than the one it was stored with?)"
        ) from None


def seal_plaintext_secrets(runtime: Runtime) -> int:
    """Seal every subscriber secret still stored in plaintext; how many were sealed (none without the key)."""
    if runtime.settings.crm_secrets_key is None:
        return 0
    box = _box(runtime.settings)
    with runtime.db.session() as session:
        rows = session.scalars(select(Subscriber).where(Subscriber.secret.is_not(None)).with_for_update()).all()
        for subscriber in rows:
            assert subscriber.secret is not None
            subscriber.sealed_secret, subscriber.secret = box.seal(SecretStr(subscriber.secret)), None
    if rows:
        log.info("sealed the plaintext signing secrets of %d subscriber(s)", len(rows))
    return len(rows)


def shown_url(url: str) -> str:
    """The URL without any user name or password it carries (https://user:pass@host/ → https://host/)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
