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


class Storage(Protocol):
    """Objects by key ('recordings/<sha256>.wav', 'calls/<id>/transcript.json'). Writes are all-or-nothing."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str) -> Iterator[str]: ...

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A filesystem path holding the object, for readers (decoders) that need one."""
        ...
