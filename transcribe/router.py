"""The language router: which recogniser hears a call, chosen by the language spoken at its start.

The language is told by the detecting recogniser (Whisper, already loaded) on the first speech of the call (its VAD
finds it; both sides mixed for a stereo call), unless the call's or its team's language is set, which wins. The
call then goes to the recogniser named for that language (a Russian model for Russian calls, where a team has one)
and to the default recogniser otherwise. The choice is returned with the transcript, to be kept with the result.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models import Transcript
from transcribe.audio import DecodedAudio
from transcribe.backend import ASRBackend
from transcribe.biasing import Correction
from transcribe.channels import plan_channels
from transcribe.core import StereoRecognition, transcribe_call
from transcribe.languages import check_language

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """The language a call was recognised in and the recogniser that did it."""

    language: str
    probability: float
    detected: bool
    """False when the language was set for the call or its team, not detected."""
    recogniser: str
    """The name the recogniser is configured by ('whisper', 'gigaam', ...)."""
    backend: ASRBackend


class LanguageRouter:
    """Routes calls by language: `by_language` maps a language code to a recogniser's name, every other language goes
    to `default`; `load(name)` gives the recogniser of that name (loaded on first use, so a model only Russian calls
    need is not loaded before one arrives). With a `correction`, near misses of the call's terms are corrected in
    whatever the recogniser heard: the one way to bias a recogniser that takes no prompt."""

    def __init__(
        self,
        detector: ASRBackend,
        load: Callable[[str], ASRBackend],
        *,
        default: str,
        by_language: Mapping[str, str] | None = None,
        correction: Correction | None = None,
    ) -> None:
        self.detector = detector
        self.default = default
        self.by_language = dict(by_language or {})
        self.correction = correction
        self._load = load

    def choose(self, audio: DecodedAudio, language: str | None = None) -> Route:
        """The recogniser for this call; `language`, when set, is used as it is."""
        check_language(language)
        probability, detected = 1.0, language is None
        if language is None:
            sides = plan_channels(audio.samples).sides
            first_speech = sides[0] if len(sides) == 1 else np.stack(sides).mean(axis=0, dtype=np.float32)
            language, probability = self.detector.detect_language(first_speech)
        name = self.by_language.get(language, self.default)
        how = f"detected (p={probability:.2f})" if detected else "set for the call or its team"
        logger.info("language %s %s: recognised by %s", language, how, name)
        return Route(language, probability, detected, name, self._load(name))

    def transcribe(
        self,
        audio: DecodedAudio,
        *,
        language: str | None = None,
        vocabulary: Sequence[str] = (),
        stereo: StereoRecognition = StereoRecognition.auto,
    ) -> tuple[Transcript, Route]:
        """The call recognised by the recogniser its language routes to, in that language."""
        if language is None and not self.by_language:
            # Every language goes to one recogniser: it tells the language itself, from the same VAD pass that
            # finds the speech it recognises.
            backend = self._load(self.default)
            transcript = transcribe_call(audio, backend, vocabulary=vocabulary, stereo=stereo)
            route = Route(transcript.language, transcript.language_probability, True, self.default, backend)
        else:
            route = self.choose(audio, language)
            transcript = transcribe_call(
                audio, route.backend, language=route.language, vocabulary=vocabulary, stereo=stereo
            )
            transcript = transcript.model_copy(update={"language_probability": route.probability})
        if self.correction is not None and vocabulary:
            words = self.correction.apply(transcript.words, vocabulary)
            transcript = transcript.model_copy(update={"words": words})
        return transcript, route
