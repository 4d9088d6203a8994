"""Settings, storage, database and run_stage: what drives the stages, embedded or as a service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callintel")
except PackageNotFoundError:
    __version__ = "0.0.0"
