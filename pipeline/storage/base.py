from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from models.errors import BadInput, CallintelError, Unavailable


class StorageError(CallintelError, RuntimeError):
    """An object could not be read or written; raised as one of the two kinds below."""


class StorageUnavailable(StorageError, Unavailable):
    """The storage server failed or could not be reached: the same request may pass later."""


class NoSuchObject(StorageError, BadInput):
    """No object under that key (or a key that cannot name one): asking again finds nothing either."""


class ObjectUnreadable(StorageError, BadInput):
    """A stored object exists but cannot be opened: asking again fails the same way until the keys change."""


class StorageKeyMissing(ObjectUnreadable):
    """The object is encrypted under a storage key that is not configured (or no key is configured at all)."""


class ObjectTampered(ObjectUnreadable):
    """The object's bytes fail authentication: altered, truncated, moved to another key, or the wrong key."""


class Storage(Protocol):
    """Objects by key ('recordings/<sha256>.wav', 'calls/<id>/transcript.json'). Writes are all-or-nothing.
    With storage keys configured, what is written is encrypted (pipeline/storage/envelope.py) and reads open both
    encrypted and plaintext objects."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str) -> Iterator[str]: ...

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A filesystem path holding the object, for readers (decoders) that need one."""
        ...
