"""Speech recognition: any telephony recording → a transcript with word timings, each word tagged with its channel."""

from transcribe.audio import SAMPLE_RATE, AudioError, DecodedAudio, decode
from transcribe.backend import ASRBackend, ChannelTranscript
from transcribe.core import StereoRecognition, transcribe_call
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
    "StereoRecognition",
    "UnknownLanguage",
    "decode",
    "transcribe_call",
]
