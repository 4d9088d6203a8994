"""The speaker split: one speaker per channel for stereo calls, diarization for mono, and rep/customer roles."""

import warnings

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

# pyannote warns at import when torchcodec cannot load; audio reaches it as in-memory waveforms, never as files.
warnings.filterwarnings("ignore", message="\ntorchcodec is not installed correctly")
