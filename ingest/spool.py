"""Where a recording waits between arriving (upload, download, bucket) and being stored: the spool directory.

Each request works in a folder of its own named after its process id. A process killed mid-request (during the
write to storage, say) leaves its folder behind; the sweep removes every folder whose process is gone, and any
folder untouched for a day. The spool belongs to one machine: give each machine its own CALLINTEL_SPOOL_DIR.
"""

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.runtime import Runtime
from pipeline.settings import Settings

log = logging.getLogger(__name__)

# A folder this old is left over even if a process with its number is running (process ids are reused).
STALE_AFTER_S = 24 * 3600


def spool_root(settings: Settings) -> Path:
    return settings.spool_dir or settings.data_dir / "spool"


@contextmanager
def spool_folder(settings: Settings) -> Iterator[Path]:
    """A fresh folder for one request's files, removed with them when the block ends."""
    root = spool_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{os.getpid()}-", dir=root, ignore_cleanup_errors=True) as folder:
        yield Path(folder)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def clear_spool(runtime: Runtime) -> int:
    """Remove the folders of processes that are gone, and folders untouched for a day; returns how many."""
    root = spool_root(runtime.settings)
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        pid_text = folder.name.split("-", 1)[0]
        try:
            stale = time.time() - folder.stat().st_mtime > STALE_AFTER_S
        except FileNotFoundError:
            continue  # its request just finished
        owner_gone = pid_text.isdigit() and int(pid_text) != os.getpid() and not _running(int(pid_text))
        if owner_gone or stale:
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("removed %d leftover spool folder(s) from %s", removed, root)
    return removed
