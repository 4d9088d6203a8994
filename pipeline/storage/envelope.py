"""The encrypted object format: a random data key per object, wrapped by a storage key, and the payload sealed in
chunks, so a recording of any length is encrypted and opened as a stream.

Layout, version 1 (integers big-endian):

    magic        8 bytes   89 'CIENC' 0d 0a
    version      1 byte    1
    chunk size   4 bytes   plaintext bytes per chunk (1 MiB)
    nonce prefix 7 bytes   random per object
    key id       1 byte length, then ASCII: the storage key that wraps the data key
    wrapped key  2 bytes length, then 12-byte nonce + AES-256-GCM(storage key, data key), 48 bytes
    chunks       AES-256-GCM(data key) of each chunk, 16-byte tag appended

The data key is authenticated with the first 20 bytes, the key id and the object's key (its name in storage), so
an object copied under another name does not open. Each chunk's nonce is the prefix, the chunk's index (4 bytes)
and a final flag (1 byte), and its additional data the first 20 bytes: reordered, dropped, truncated or appended
chunks fail (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in Tink's streaming AEAD).
Every chunk but the last is full; the last is shorter, possibly empty. Re-wrapping under another storage key
replaces only the key id and the wrapped key: the chunks are kept byte for byte.
"""

import secrets
import struct
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pipeline.storage.base import ObjectTampered, ObjectUnreadable, StorageKeyMissing
from pipeline.storage.keyring import KEY_BYTES, SETTING, Keyring

MAGIC = b"\x89CIENC\r\n"
VERSION = 1
CHUNK_BYTES = 1 << 20
TAG_BYTES = 16
_PREFIX_BYTES = 7
_FIXED = struct.Struct(">8sBI7s")
_MAX_CHUNK_BYTES = 64 << 20
# Long enough for any version-1 header, so one ranged read tells whether and how an object is encrypted.
HEADER_PEEK_BYTES = _FIXED.size + 1 + 64 + 2 + 128


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class Header:
    chunk_bytes: int
    nonce_prefix: bytes
    key_id: str
    wrapped_key: bytes
    version: int = VERSION

    @property
    def fixed(self) -> bytes:
        """The bytes every chunk authenticates: a header rewrite under another key leaves them alone."""
        return _FIXED.pack(MAGIC, self.version, self.chunk_bytes, self.nonce_prefix)

    def encode(self) -> bytes:
        key_id = self.key_id.encode("ascii")
        return self.fixed + bytes([len(key_id)]) + key_id + struct.pack(">H", len(self.wrapped_key)) + self.wrapped_key

    def wrap_context(self, object_key: str) -> bytes:
        return self.fixed + self.key_id.encode("ascii") + b"\0" + object_key.encode()

    def sealed_length(self, plain_length: int) -> int:
        return len(self.encode()) + plain_length + (plain_length // self.chunk_bytes + 1) * TAG_BYTES


def _read_exact(source: Readable, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream (network streams return short reads)."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = source.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", index, int(final))


def read_header(source: Readable, object_key: str) -> tuple[Header | None, bytes]:
    """The object's header, or None for a plaintext object; and the bytes read that are not part of a header."""
    start = _read_exact(source, _FIXED.size)
    if not start.startswith(MAGIC) or len(start) < _FIXED.size:
        return None, start
    _, version, chunk_bytes, prefix = _FIXED.unpack(start)
    if version != VERSION:
        raise ObjectUnreadable(f"object {object_key!r} is in encryption format version {version}, unknown here")
    id_length = _read_exact(source, 1)
    key_id = _read_exact(source, id_length[0]) if id_length else b""
    wrapped_length = _read_exact(source, 2)
    wrapped = _read_exact(source, struct.unpack(">H", wrapped_length)[0]) if len(wrapped_length) == 2 else b""
    if not 0 < chunk_bytes <= _MAX_CHUNK_BYTES or not key_id or not wrapped:
        raise ObjectTampered(f"object {object_key!r}: its encryption header is damaged")
    try:
        return Header(chunk_bytes, prefix, key_id.decode("ascii"), wrapped), b""
    except UnicodeDecodeError:
        raise ObjectTampered(f"object {object_key!r}: its encryption header is damaged") from None


def new_header(keyring: Keyring, object_key: str) -> tuple[Header, bytes]:
    """A header for a new object under the current storage key, and the object's fresh data key."""
    data_key = secrets.token_bytes(KEY_BYTES)
    header = Header(CHUNK_BYTES, secrets.token_bytes(_PREFIX_BYTES), keyring.current, b"")
    return replace(header, wrapped_key=keyring.wrap(data_key, header.wrap_context(object_key))), data_key


def rewrapped(header: Header, keyring: Keyring, object_key: str) -> Header:
    """The same object's header with its data key wrapped under the current storage key instead."""
    data_key = keyring.unwrap(header.key_id, header.wrapped_key, header.wrap_context(object_key), object_key)
    moved = replace(header, key_id=keyring.current)
    return replace(moved, wrapped_key=keyring.wrap(data_key, moved.wrap_context(object_key)))


class _Chunked:
    """A readable stream that produces its output one chunk at a time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._done = False

    def _next(self) -> bytes:
        raise NotImplementedError

    def read(self, size: int = -1, /) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._buffer += self._next()
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        with memoryview(self._buffer) as view:
            out = bytes(view[:size])
        del self._buffer[:size]
        return out


class Sealer(_Chunked):
    """Reads plaintext from `source`, gives the encrypted object: header first, then the sealed chunks."""

    def __init__(self, source: Readable, header: Header, data_key: bytes) -> None:
        super().__init__()
        self._source, self.header, self._aead = source, header, AESGCM(data_key)
        self._index = 0
        self._buffer += header.encode()

    def _next(self) -> bytes:
        plain = _read_exact(self._source, self.header.chunk_bytes)
        final = len(plain) < self.header.chunk_bytes
        sealed = self._aead.encrypt(_nonce(self.header.nonce_prefix, self._index, final), plain, self.header.fixed)
        self._index += 1
        self._done = final
        return sealed


class Opener(_Chunked):
    """Reads an encrypted object's chunks (after its header) from `source`, gives the plaintext; raises
    ObjectTampered at the first chunk that fails authentication."""

    def __init__(self, source: Readable, header: Header, data_key: bytes, object_key: str) -> None:
        super().__init__()
        self._source, self._header, self._aead, self._key = source, header, AESGCM(data_key), object_key
        self._index = 0

    def _next(self) -> bytes:
        header = self._header
        sealed = _read_exact(self._source, header.chunk_bytes + TAG_BYTES)
        final = len(sealed) < header.chunk_bytes + TAG_BYTES
        try:
            plain = self._aead.decrypt(_nonce(header.nonce_prefix, self._index, final), sealed, header.fixed)
        except InvalidTag:
            raise ObjectTampered(
                f"object {self._key!r} failed authentication at chunk {self._index}: it was altered or truncated"
            ) from None
        self._index += 1
        self._done = final
        return plain


class _Prefixed:
    """A plaintext object whose first bytes were already read while looking for a header."""

    def __init__(self, prefix: bytes, rest: Readable) -> None:
        self._prefix, self._rest = prefix, rest

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            out, self._prefix = self._prefix + read_all(self._rest), b""
            return out
        if self._prefix:
            out, self._prefix = self._prefix[:size], self._prefix[size:]
            return out
        return self._rest.read(size)


def read_all(source: Readable) -> bytes:
    parts = []
    while part := source.read(CHUNK_BYTES):
        parts.append(part)
    return b"".join(parts)


def seal(source: Readable, keyring: Keyring, object_key: str) -> Sealer:
    header, data_key = new_header(keyring, object_key)
    return Sealer(source, header, data_key)


def open_object(source: Readable, keyring: Keyring | None, object_key: str) -> Readable:
    """The plaintext of a stored object read from `source`: opened if encrypted, passed through if not."""
    header, prefix = read_header(source, object_key)
    if header is None:
        return _Prefixed(prefix, source)
    if keyring is None:
        raise StorageKeyMissing(
            f"object {object_key!r} is encrypted under storage key {header.key_id!r}, but {SETTING} is not set"
        )
    data_key = keyring.unwrap(header.key_id, header.wrapped_key, header.wrap_context(object_key), object_key)
    return Opener(source, header, data_key, object_key)


class Rewrap(StrEnum):
    """What re-wrapping did to one object."""

    rewrapped = "re-wrapped"
    encrypted = "encrypted"
    current = "already under the current key"
    plaintext = "plaintext, left as it is"
    changed = "written meanwhile, left to the writer"


def rewrite(
    source: Readable, keyring: Keyring, object_key: str, size: int, *, encrypt_plaintext: bool
) -> tuple[Rewrap, Readable | None, int]:
    """How the object read from `source` (`size` bytes) is rewritten under the current storage key: the outcome,
    the new object's bytes as a stream (None when nothing is to be written) and their length."""
    header, prefix = read_header(source, object_key)
    if header is None:
        if not encrypt_plaintext:
            return Rewrap.plaintext, None, size
        sealer = seal(_Prefixed(prefix, source), keyring, object_key)
        return Rewrap.encrypted, sealer, sealer.header.sealed_length(size)
    if header.key_id == keyring.current:
        return Rewrap.current, None, size
    new = rewrapped(header, keyring, object_key).encode()
    return Rewrap.rewrapped, _Prefixed(new, source), size - len(header.encode()) + len(new)
