"""Why a recogniser other than Whisper cannot serve a call."""

from pathlib import Path

from models.errors import BadInput, Unavailable


class RecogniserNotLoaded(Unavailable, RuntimeError):
    """A recogniser's model is missing or unreadable where the settings point; the message names the path."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"speech recognition model {path}: {problem}")
        self.path = path


class LanguageNotRecognised(BadInput, ValueError):
    """A call in a language the team's recogniser does not speak."""

    def __init__(self, recogniser: str, language: str) -> None:
        super().__init__(
            f"{recogniser} recognises Russian only, and this call's language is '{language}': "
            "set the call's or team's language to 'ru', or choose the Whisper recogniser for this team"
        )
        self.language = language


def russian_only(recogniser: str, language: str | None) -> None:
    if language not in (None, "ru"):
        raise LanguageNotRecognised(recogniser, language)
