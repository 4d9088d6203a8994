"""Where recordings and stage outputs live, behind one small interface; encrypted at rest when keys are set."""

from pipeline.storage.base import (
    NoSuchObject,
    ObjectTampered,
    ObjectUnreadable,
    Storage,
    StorageError,
    StorageKeyMissing,
    StorageUnavailable,
)
from pipeline.storage.envelope import Rewrap
from pipeline.storage.keyring import Keyring, KeyringInvalid, new_key_entry
from pipeline.storage.local import LocalStorage
from pipeline.storage.s3 import S3Storage

__all__ = [
    "Keyring",
    "KeyringInvalid",
    "LocalStorage",
    "NoSuchObject",
    "ObjectTampered",
    "ObjectUnreadable",
    "Rewrap",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageKeyMissing",
    "StorageUnavailable",
    "new_key_entry",
]
