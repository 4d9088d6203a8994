import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from minio import Minio
from minio.error import S3Error
from urllib3 import PoolManager
from urllib3.exceptions import HTTPError

from pipeline.storage.base import NoSuchObject, StorageUnavailable

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
    """A bucket on any S3-compatible server (MinIO in production), through the minio client."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
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

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._errors(key):
            self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))

    def put_file(self, key: str, path: Path) -> None:
        with self._errors(key):
            self.client.fput_object(self.bucket, key, str(path))

    def get_bytes(self, key: str) -> bytes:
        with self._errors(key):
            response = self.client.get_object(self.bucket, key)
            try:
                return response.read()
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
        """Fetch an object, possibly from another bucket on the same server (an S3 event's recording)."""
        with self._errors(f"{bucket}/{key}"):
            self.client.fget_object(bucket, key, str(path))
