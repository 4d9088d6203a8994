"""The key-encryption keys that wrap each stored object's data key: several named keys, one of them current.

New objects are wrapped under the current key; every key on the ring can still open what it wrapped, so a new key
is added as current, `callintel keys rotate` re-wraps the older objects, and only then is the old key removed.
"""

import base64
import binascii
import re
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from models.errors import BadInput
from pipeline.storage.base import ObjectTampered, StorageKeyMissing

KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
SETTING = "CALLINTEL_STORAGE_KEYS"


class KeyringInvalid(BadInput, ValueError):
    """The configured keys cannot be read; the message names the entry and what is wrong with it."""


def new_key_entry(key_id: str) -> str:
    """A fresh random key as one `id:base64` entry of CALLINTEL_STORAGE_KEYS."""
    if not _KEY_ID.fullmatch(key_id):
        raise KeyringInvalid(f"key id {key_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes] = field(repr=False)  # never in a log line or a traceback
    current: str

    @classmethod
    def parse(cls, text: str, current: str | None = None) -> "Keyring":
        """`id:base64key` entries separated by commas or new lines; the current key is `current`, else the first."""
        keys: dict[str, bytes] = {}
        for number, entry in enumerate((part.strip() for part in re.split(r"[,\n]", text)), 1):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep or not _KEY_ID.fullmatch(key_id):
                raise KeyringInvalid(f"{SETTING} entry {number} is not 'id:base64key' with a 1-64 character id")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except binascii.Error:
                raise KeyringInvalid(f"{SETTING}: key {key_id!r} is not valid base64") from None
            if len(key) != KEY_BYTES:
                raise KeyringInvalid(f"{SETTING}: key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}")
            if key_id in keys:
                raise KeyringInvalid(f"{SETTING}: key id {key_id!r} appears twice")
            keys[key_id] = key
        if not keys:
            raise KeyringInvalid(f"{SETTING} holds no keys")
        chosen = current or next(iter(keys))
        if chosen not in keys:
            raise KeyringInvalid(f"CALLINTEL_STORAGE_KEY_CURRENT names {chosen!r}, which {SETTING} does not hold")
        return cls(keys, chosen)

    @classmethod
    def configured(cls, keys: str | None, current: str | None) -> "Keyring | None":
        """The keyring the settings name; None when no storage keys are set (objects are written unencrypted)."""
        if not keys:
            if current:
                raise KeyringInvalid(f"CALLINTEL_STORAGE_KEY_CURRENT is set, but {SETTING} is not")
            return None
        return cls.parse(keys, current)

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        """`data_key` sealed under the current key; `context` (format, key id, object key) is authenticated with it."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + AESGCM(self.keys[self.current]).encrypt(nonce, data_key, context)

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes, object_key: str) -> bytes:
        kek = self.keys.get(key_id)
        if kek is None:
            raise StorageKeyMissing(
                f"object {object_key!r} is encrypted under storage key {key_id!r}, which {SETTING} does not hold"
            )
        try:
            return AESGCM(kek).decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise ObjectTampered(
                f"object {object_key!r}: its data key does not open under storage key {key_id!r} "
                "(a different key under that id, or the object was altered or moved)"
            ) from None
