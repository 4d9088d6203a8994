"""What a process needs to run stages: settings, storage, database and models, built once."""

from dataclasses import dataclass
from functools import cached_property

from pipeline.db import Database
from pipeline.engines import Engines, engines_for
from pipeline.settings import Settings
from pipeline.storage import LocalStorage, Storage


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def storage(self) -> Storage:
        return LocalStorage(self.settings.data_dir / "objects")

    @cached_property
    def db(self) -> Database:
        database = Database(self.settings.db_url)
        database.migrate()
        return database

    @property
    def engines(self) -> Engines:
        return engines_for(self.settings)


_default: Runtime | None = None


def default_runtime() -> Runtime:
    global _default
    if _default is None:
        _default = Runtime(Settings())
    return _default
