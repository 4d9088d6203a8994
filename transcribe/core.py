"""A decoded call → its transcript: one recognition pass per side of the call."""

import logging
from collections.abc import Sequence

import numpy as np

from models import Transcript, Word
from transcribe.audio import DecodedAudio
from transcribe.backend import ASRBackend, ChannelTranscript
from transcribe.channels import loudest, plan_channels
from transcribe.languages import check_language

logger = logging.getLogger(__name__)


def transcribe_call(
    audio: DecodedAudio, backend: ASRBackend, *, language: str | None = None, vocabulary: Sequence[str] = ()
) -> Transcript:
    """Recognise every word of a call, tagged with its channel and ordered by start time.

    A stereo call with one side per channel is recognised channel by channel; a stereo file holding one mix (both
    channels alike, or one silent) is recognised once, like a mono call. With no language given, it is detected once,
    on the loudest side, and used for both sides so the two halves of a conversation never end up in different
    languages.
    """
    check_language(language)
    plan = plan_channels(audio.samples)
    logger.info("recognising %d side(s): %s", len(plan.sides), plan.reason)
    if len(plan.sides) == 1:
        result = backend.transcribe(plan.sides[0], language=language, channel=0, vocabulary=vocabulary)
    else:
        result = _transcribe_sides(plan.sides, backend, language, vocabulary)
    return Transcript(
        language=result.language,
        language_probability=result.language_probability,
        duration_s=audio.info.duration_s,
        channels=len(plan.sides),
        words=result.words,
    )


def _transcribe_sides(
    sides: list[np.ndarray], backend: ASRBackend, language: str | None, vocabulary: Sequence[str]
) -> ChannelTranscript:
    probability = 1.0
    if language is None:
        language, probability = backend.detect_language(sides[loudest(sides)])
        logger.info("detected language %s (p=%.2f) on the loudest channel", language, probability)
    words: list[Word] = []
    for channel, side in enumerate(sides):
        words.extend(backend.transcribe(side, language=language, channel=channel, vocabulary=vocabulary).words)
    words.sort(key=lambda word: (word.start, word.channel))
    return ChannelTranscript(language=language, language_probability=probability, words=words)
