"""What a process needs to run stages: settings, storage, database, queue and models, each built once."""

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from pipeline.db import Database
from pipeline.engines import Engines
from pipeline.settings import Settings
from pipeline.storage import Keyring, LocalStorage, S3Storage, Storage

if TYPE_CHECKING:
    import dramatiq


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def storage(self) -> Storage:
        s = self.settings
        keys = s.storage_keys.get_secret_value() if s.storage_keys else None
        keyring = Keyring.configured(keys, s.storage_key_current)
        if s.storage == "s3":
            return S3Storage(
                s.s3_endpoint,
                s.s3_access_key,
                s.s3_secret_key.get_secret_value(),
                s.s3_bucket,
                secure=s.s3_secure,
                region=s.s3_region,
                keyring=keyring,
            )
        return LocalStorage(s.data_dir / "objects", keyring)

    @cached_property
    def db(self) -> Database:
        database = Database(self.settings.db_url)
        database.migrate()
        return database

    @cached_property
    def broker(self) -> "dramatiq.Broker":
        """The message broker (service mode only; embedded mode never builds it)."""
        from pipeline.queue.broker import make_broker

        return make_broker(self.settings.broker_url)

    @property
    def engines(self) -> Engines:
        return Engines(self.settings)


_default: Runtime | None = None


def default_runtime() -> Runtime:
    global _default
    if _default is None:
        _default = Runtime(Settings())
    return _default
