"""Peak resident memory of this process over a block of code, sampled by a background thread."""

import threading
from types import TracebackType

import psutil

MB = 1024 * 1024


class PeakRSS:
    """`with PeakRSS() as peak: ...` then `peak.mb`: the largest RSS seen while the block ran.

    Sampling every 20 ms can miss a spike shorter than that; the speech stages allocate their large buffers for
    seconds at a time, so the figure is close. A fresh process's `resource.getrusage(...).ru_maxrss` is the exact
    high-water mark and is reported next to it where the process is fresh.
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self._process = psutil.Process()
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak_bytes = 0

    def _sample(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, self._process.memory_info().rss)
            if self._stop.wait(self._interval_s):
                return

    def __enter__(self) -> "PeakRSS":
        self.peak_bytes = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self._process.memory_info().rss)

    @property
    def mb(self) -> float:
        return self.peak_bytes / MB


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / MB
