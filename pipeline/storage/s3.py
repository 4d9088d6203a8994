import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

from minio import Minio
from minio.error import S3Error
from urllib3 import PoolManager
from urllib3.exceptions import HTTPError

from pipeline.storage.base import NoSuchObject, StorageKeyMissing, StorageUnavailable
from pipeline.storage.envelope import (
    CHUNK_BYTES,
    HEADER_PEEK_BYTES,
    Readable,
    Rewrap,
    open_object,
    read_all,
    read_header,
    rewrite,
    seal,
)
from pipeline.storage.keyring import SETTING, Keyring

# A down or unreachable server must fail a request in seconds (the webhook answers 503), not hang it.
_HTTP_TIMEOUT_S = 10.0
_MISSING = {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}


def _http_client() -> PoolManager:
    import urllib3

    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=_HTTP_TIMEOUT_S, read=60.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        maxsize=32,
    )


class S3Storage:
    """A bucket on any S3-compatible server (MinIO in production), through the minio client. With a keyring, objects
    are written encrypted by this client (the server never sees the plaintext or the keys)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.bucket = bucket
        self.keyring = keyring
        self.client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_http_client(),
        )

    def ensure_bucket(self) -> None:
        with self._errors(f"bucket {self.bucket!r}"):
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except S3Error as exc:
            if exc.code in _MISSING:
                raise NoSuchObject(f"no object {what} in bucket {self.bucket!r}") from exc
            raise StorageUnavailable(f"S3 error on {what}: {exc.code}: {exc.message}") from exc
        except (HTTPError, OSError) as exc:
            raise StorageUnavailable(f"S3 server unreachable ({what}): {exc}") from exc

    def _put(self, key: str, source: Readable, length: int) -> None:
        if self.keyring:
            sealer = seal(source, self.keyring, key)
            source, length = sealer, sealer.header.sealed_length(length)
        with self._errors(key):
            # One part at a time: parallel uploads read parts ahead into memory as fast as the file gives them,
            # which for a long recording is most of it.
            self.client.put_object(self.bucket, key, cast(BinaryIO, source), length, num_parallel_uploads=1)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._put(key, io.BytesIO(data), len(data))

    def put_file(self, key: str, path: Path) -> None:
        with path.open("rb") as src:
            self._put(key, src, os.fstat(src.fileno()).st_size)

    def get_bytes(self, key: str) -> bytes:
        with self._errors(key):
            response = self.client.get_object(self.bucket, key)
            try:
                return read_all(open_object(response, self.keyring, key))
            finally:
                response.close()
                response.release_conn()

    def exists(self, key: str) -> bool:
        try:
            with self._errors(key):
                self.client.stat_object(self.bucket, key)
        except NoSuchObject:
            return False
        return True

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.remove_object(self.bucket, key)

    def keys(self, prefix: str) -> Iterator[str]:
        with self._errors(prefix):
            for item in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                yield item.object_name

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="callintel-") as tmp:
            path = Path(tmp) / Path(key).name
            self.download(self.bucket, key, path)
            yield path

    def download(self, bucket: str, key: str, path: Path) -> None:
        """Fetch an object, possibly from another bucket on the same server (an S3 event's recording), opening it
        on the way when it is encrypted."""
        with self._errors(f"{bucket}/{key}"):
            response = self.client.get_object(bucket, key)
            try:
                with path.open("wb") as out:
                    shutil.copyfileobj(open_object(response, self.keyring, key), out, CHUNK_BYTES)
            finally:
                response.close()
                response.release_conn()

    def key_id(self, key: str) -> str | None:
        """The storage key the object is encrypted under; None for a plaintext object."""
        try:
            with self._errors(key):
                response = self.client.get_object(self.bucket, key, length=HEADER_PEEK_BYTES)
                try:
                    start = response.read()
                finally:
                    response.close()
                    response.release_conn()
        except StorageUnavailable as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code == "InvalidRange":  # an empty object
                return None
            raise
        header, _ = read_header(io.BytesIO(start), key)
        return header.key_id if header else None

    def rewrap(self, key: str, *, encrypt_plaintext: bool = False) -> Rewrap:
        """Put the object under the current storage key: its data key re-wrapped (the chunks copied unchanged), or
        a plaintext object encrypted when asked. An object written by someone else meanwhile is left alone."""
        if self.keyring is None:
            raise StorageKeyMissing(f"{SETTING} is not set: there is no current storage key to re-wrap under")
        keyring = self.keyring
        with self._errors(key):
            seen = self.client.stat_object(self.bucket, key)
            try:
                response = self.client.get_object(self.bucket, key, request_headers={"If-Match": seen.etag or "*"})
            except S3Error as exc:
                if exc.code == "PreconditionFailed":
                    return Rewrap.changed
                raise
            try:
                size = seen.size or 0
                outcome, stream, length = rewrite(response, keyring, key, size, encrypt_plaintext=encrypt_plaintext)
                if stream is None:
                    return outcome
                if self.client.stat_object(self.bucket, key).etag != seen.etag:
                    return Rewrap.changed
                self.client.put_object(self.bucket, key, cast(BinaryIO, stream), length, num_parallel_uploads=1)
            finally:
                response.close()
                response.release_conn()
        return outcome
