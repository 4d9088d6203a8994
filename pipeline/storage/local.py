import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pipeline.storage.base import NoSuchObject, StorageKeyMissing
from pipeline.storage.envelope import CHUNK_BYTES, Readable, Rewrap, open_object, read_all, read_header, rewrite, seal
from pipeline.storage.keyring import SETTING, Keyring


class LocalStorage:
    """A directory on local disk: embedded mode's storage. With a keyring, objects are written encrypted."""

    def __init__(self, root: Path, keyring: Keyring | None = None) -> None:
        self.root = root
        self.keyring = keyring
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise NoSuchObject(f"key escapes the storage root: {key!r}")
        return path

    def _open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise NoSuchObject(f"no object {key!r} in {self.root}") from exc

    def _atomic_write(
        self, key: str, write: Callable[[BinaryIO], object], unchanged: Callable[[], bool] = lambda: True
    ) -> bool:
        """Write the object through a temporary file; False (nothing replaced) when `unchanged` says the object
        was written by someone else meanwhile."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            if not unchanged():
                Path(tmp).unlink()
                return False
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def _write_from(self, key: str, source: Readable) -> None:
        stream = seal(source, self.keyring, key) if self.keyring else source
        self._atomic_write(key, lambda out: shutil.copyfileobj(stream, out, CHUNK_BYTES))

    def put_bytes(self, key: str, data: bytes) -> None:
        self._write_from(key, io.BytesIO(data))

    def put_file(self, key: str, path: Path) -> None:
        with path.open("rb") as src:
            self._write_from(key, src)

    def get_bytes(self, key: str) -> bytes:
        with self._open(key) as src:
            return read_all(open_object(src, self.keyring, key))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> Iterator[str]:
        base = self._path(prefix)
        candidates = base.rglob("*") if base.is_dir() else base.parent.glob(base.name + "*")
        for path in sorted(candidates):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root.resolve()).as_posix()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        with self._open(key) as src:
            header, _ = read_header(src, key)
            if header is None:
                yield self._path(key)
                return
            src.seek(0)
            # Decoders need a file: an encrypted object is opened into a private temporary one, removed after use.
            with tempfile.TemporaryDirectory(prefix="callintel-") as tmp:
                path = Path(tmp) / Path(key).name
                with path.open("wb") as out:
                    shutil.copyfileobj(open_object(src, self.keyring, key), out, CHUNK_BYTES)
                yield path

    def key_id(self, key: str) -> str | None:
        """The storage key the object is encrypted under; None for a plaintext object."""
        with self._open(key) as src:
            header, _ = read_header(src, key)
        return header.key_id if header else None

    def rewrap(self, key: str, *, encrypt_plaintext: bool = False) -> Rewrap:
        """Put the object under the current storage key: its data key re-wrapped (the chunks copied unchanged), or
        a plaintext object encrypted when asked."""
        if self.keyring is None:
            raise StorageKeyMissing(f"{SETTING} is not set: there is no current storage key to re-wrap under")
        keyring = self.keyring
        with self._open(key) as src:
            seen = os.fstat(src.fileno())
            outcome, stream, _ = rewrite(src, keyring, key, seen.st_size, encrypt_plaintext=encrypt_plaintext)
            if stream is None:
                return outcome

            def unchanged() -> bool:
                now = self._path(key).stat()
                return (now.st_ino, now.st_mtime_ns, now.st_size) == (seen.st_ino, seen.st_mtime_ns, seen.st_size)

            copied = self._atomic_write(
                key,
                lambda out: shutil.copyfileobj(stream, out, CHUNK_BYTES),
                unchanged,
            )
        return outcome if copied else Rewrap.changed
