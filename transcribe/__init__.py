"""Speech recognition: any telephony recording → a transcript with word timings, one pass per side of the call."""

from transcribe.audio import SAMPLE_RATE, AudioError, DecodedAudio, decode
from transcribe.backend import ASRBackend, ChannelTranscript
from transcribe.core import transcribe_call
from transcribe.languages import SUPPORTED_LANGUAGES, UnknownLanguage
from transcribe.whisper import FasterWhisperBackend

__all__ = [
    "SAMPLE_RATE",
    "SUPPORTED_LANGUAGES",
    "ASRBackend",
    "AudioError",
    "ChannelTranscript",
    "DecodedAudio",
    "FasterWhisperBackend",
    "UnknownLanguage",
    "decode",
    "transcribe_call",
]
