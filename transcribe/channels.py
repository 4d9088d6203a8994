"""Deciding whether a stereo recording really holds two sides of a call."""

from dataclasses import dataclass

import numpy as np

SAME_SIGNAL_CORRELATION = 0.98
"""Channels this correlated carry one mix: a mono call saved as stereo, perhaps at different gains."""

SILENT_CHANNEL_RATIO = 0.01
"""A channel this much quieter (-40 dB RMS) than the other carries no side of the call."""


@dataclass(frozen=True)
class ChannelPlan:
    """What to recognise: one row per side of the call, and why."""

    sides: list[np.ndarray]
    reason: str


def plan_channels(samples: np.ndarray) -> ChannelPlan:
    if samples.shape[0] == 1:
        return ChannelPlan(sides=[samples[0]], reason="mono recording")
    left, right = samples[0].astype(np.float64), samples[1].astype(np.float64)
    left_rms, right_rms = _rms(left), _rms(right)
    louder, quieter = max(left_rms, right_rms), min(left_rms, right_rms)
    if louder == 0.0 or quieter < SILENT_CHANNEL_RATIO * louder:
        side = samples[0] if left_rms >= right_rms else samples[1]
        return ChannelPlan(sides=[side], reason="stereo recording with one silent channel")
    correlation = float(np.dot(left, right) / (np.linalg.norm(left) * np.linalg.norm(right)))
    if correlation >= SAME_SIGNAL_CORRELATION:
        return ChannelPlan(
            sides=[samples.mean(axis=0)], reason=f"stereo recording of one mix (correlation {correlation:.3f})"
        )
    return ChannelPlan(sides=[samples[0], samples[1]], reason="stereo recording, one side per channel")


def loudest(sides: list[np.ndarray]) -> int:
    """The side with the most energy: the likeliest to hold enough speech to tell the language."""
    return int(np.argmax([_rms(side.astype(np.float64)) for side in sides]))


def _rms(signal: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(signal)))) if signal.size else 0.0
