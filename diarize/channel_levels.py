"""Which channels of a per-channel recording carry no one: digital silence or only line noise.

A channel's level is that of its loud frames (the 99th percentile of 50-ms frame levels, in dBFS), which speech sets
even when that side says little: a customer who speaks 1 % of a 10-minute call (6 s) still counts. A channel is
unrecorded when that level is below `UNRECORDED_DBFS` (line noise sits near -55 dBFS; speech on a telephone channel
near -20) or at least `UNRECORDED_BELOW_OTHER_DB` below the other channel's (the rep's voice leaking into a dead
channel as echo).
"""

import numpy as np

FRAME_S = 0.05
LOUD_PERCENTILE = 99
UNRECORDED_DBFS = -50.0
UNRECORDED_BELOW_OTHER_DB = 35.0
_FLOOR = 1e-10


def loud_level(channel: np.ndarray, sample_rate: int) -> float:
    """The level (dBFS) of a channel's loud frames; -200 for a channel shorter than a frame."""
    size = max(1, int(FRAME_S * sample_rate))
    count = channel.size // size
    if count == 0:
        return -200.0
    frames = channel[: count * size].reshape(count, size).astype(np.float64)
    levels = 10 * np.log10((frames**2).mean(axis=1) + _FLOOR)
    return float(np.percentile(levels, LOUD_PERCENTILE))


def unrecorded_channels(audio: np.ndarray, sample_rate: int) -> list[int]:
    """The channels of `audio` (channels, samples) that carry no one; empty when every channel or none does."""
    levels = [loud_level(channel, sample_rate) for channel in audio]
    loudest = max(levels)
    silent = [
        index
        for index, level in enumerate(levels)
        if level < UNRECORDED_DBFS or level <= loudest - UNRECORDED_BELOW_OTHER_DB
    ]
    return silent if len(silent) < len(levels) else []
