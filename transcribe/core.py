"""A decoded call → its transcript: recognised as one mix, or one side per channel."""

import logging
from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from models import Transcript, Word
from transcribe.audio import SAMPLE_RATE, DecodedAudio
from transcribe.backend import ASRBackend, ChannelTranscript
from transcribe.channels import loudest, plan_channels
from transcribe.languages import check_language
from transcribe.sides import ChannelEnergy, attribute_to_sides, double_talk_share

logger = logging.getLogger(__name__)


DOUBLE_TALK_SHARE = 0.2
"""Above this share of speech time with both sides talking at once, `auto` recognises each channel on its own.
Real calls stay below it (SpokenWOZ: 0.2 % and 0.0 %; pyannote's two-party sample split by speaker: 10.6 %); a
recording of two overlaid talkers is far above it (44.9 %)."""


class StereoRecognition(StrEnum):
    """How a call recorded one side per channel is recognised."""

    auto = "auto"
    """`channels` when the two sides talk at once for more than DOUBLE_TALK_SHARE of the speech time, else `mix`."""
    mix = "mix"
    """Both channels mixed and recognised once, each word then given to the channel that is louder over it."""
    channels = "channels"
    """Each channel recognised on its own, the two merged by time."""


def transcribe_call(
    audio: DecodedAudio,
    backend: ASRBackend,
    *,
    language: str | None = None,
    vocabulary: Sequence[str] = (),
    stereo: StereoRecognition = StereoRecognition.auto,
) -> Transcript:
    """Recognise every word of a call, tagged with its channel and ordered by start time.

    A stereo call with one side per channel is recognised as `stereo` says; a stereo file holding one mix (both
    channels alike, or one silent) is recognised once, like a mono call. Recognising the mix lets the model hear
    both sides of the conversation, as context for each (on the SpokenWOZ calls it makes 5 and 4 fewer errors than
    recognising each channel alone); recognising each channel alone also catches words said while the other side
    talks, which a mix loses when that happens much of the time. With no language given, it is detected once (on
    the mix, or on the loudest side) and used for the whole call, so the two halves of a conversation never end up
    in different languages.
    """
    check_language(language)
    plan = plan_channels(audio.samples)
    two_sides = len(plan.sides) == 2
    how = ""
    # One pass over the audio serves both the choice of recognition and the words' sides.
    by_energy = two_sides and stereo is not StereoRecognition.channels
    energy = ChannelEnergy.of(plan.sides, SAMPLE_RATE) if by_energy else None
    if two_sides:
        stereo, how = _stereo_recognition(stereo, energy)
    logger.info("recognising %d side(s): %s%s", len(plan.sides), plan.reason, how)
    if energy is not None and stereo is StereoRecognition.mix:
        mix = plan.sides[0] + plan.sides[1]
        mix *= 0.5
        mixed = backend.transcribe(mix, language=language, channel=0, vocabulary=vocabulary)
        del mix
        result = ChannelTranscript(
            language=mixed.language,
            language_probability=mixed.language_probability,
            words=attribute_to_sides(mixed.words, energy),
        )
    elif two_sides:
        result = _transcribe_sides(plan.sides, backend, language, vocabulary)
    else:
        result = backend.transcribe(plan.sides[0], language=language, channel=0, vocabulary=vocabulary)
    return Transcript(
        language=result.language,
        language_probability=result.language_probability,
        duration_s=audio.info.duration_s,
        channels=len(plan.sides),
        words=result.words,
    )


def _stereo_recognition(asked: StereoRecognition, energy: ChannelEnergy | None) -> tuple[StereoRecognition, str]:
    if asked is not StereoRecognition.auto or energy is None:
        return asked, f", {asked.value}"
    share = double_talk_share(energy)
    chosen = StereoRecognition.channels if share > DOUBLE_TALK_SHARE else StereoRecognition.mix
    return chosen, f", {chosen.value} (both sides talk at once {share:.0%} of the speech time)"


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
