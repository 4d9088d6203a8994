"""Where recordings and stage outputs live, behind one small interface."""

from pipeline.storage.base import Storage, StorageError
from pipeline.storage.local import LocalStorage

__all__ = ["LocalStorage", "Storage", "StorageError"]
