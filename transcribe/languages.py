"""Which languages a call may be recognised in."""

from faster_whisper.tokenizer import _LANGUAGE_CODES

from models.errors import BadInput

SUPPORTED_LANGUAGES = frozenset({"ru", "en"})
"""The languages callintel is built and tested for: scripts, summaries and UI text exist in these."""

RECOGNISABLE_LANGUAGES = frozenset(_LANGUAGE_CODES)
"""Every language code Whisper knows; a call may be forced to any of them."""


class UnknownLanguage(BadInput, ValueError):
    """A language code no recogniser knows."""

    def __init__(self, language: str) -> None:
        super().__init__(
            f"unknown language '{language}': expected an ISO 639-1 code Whisper knows, e.g. 'ru' or 'en' "
            "(or none, to detect it)"
        )
        self.language = language


def check_language(language: str | None) -> None:
    if language is not None and language not in RECOGNISABLE_LANGUAGES:
        raise UnknownLanguage(language)
