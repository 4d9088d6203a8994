"""Handing the memory a finished speech step freed back to the system (the speech stages take it as a hook)."""

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system; glibc only, a no-op elsewhere.

    glibc raises its mmap threshold (up to 32 MB) as large blocks are freed, so the speech models' working buffers
    end up in the heap, and a long call leaves hundreds of MB there, free but resident and too fragmented for the
    next step's different sizes to reuse: each step's peak then stacks on the last one's leftovers.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
