"""The speaker split: one speaker per channel for stereo calls, diarization for mono, and rep/customer roles."""

from diarize.core import SpeakerSplitError, split_speakers
from diarize.diarizer import Diarizer, Turn
from diarize.roles import REP_CUES, RepSpeaker, RoleDecision, decide_roles

__all__ = [
    "REP_CUES",
    "Diarizer",
    "RepSpeaker",
    "RoleDecision",
    "SpeakerSplitError",
    "Turn",
    "decide_roles",
    "split_speakers",
]
