"""Where recordings and stage outputs live, behind one small interface."""

from pipeline.storage.base import NoSuchObject, Storage, StorageError, StorageUnavailable
from pipeline.storage.local import LocalStorage
from pipeline.storage.s3 import S3Storage

__all__ = ["LocalStorage", "NoSuchObject", "S3Storage", "Storage", "StorageError", "StorageUnavailable"]
