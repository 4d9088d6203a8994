"""Recognised words for tests: whitespace-separated tokens, 0.5 s apart, each 0.4 s long."""

from models import Word


def word(text: str, start: float, channel: int = 0, probability: float = 0.9) -> Word:
    return Word(text=text, start=start, end=start + 0.4, probability=probability, channel=channel)


def words_of(text: str, start: float = 0.0, channel: int = 0) -> list[Word]:
    return [word(token, start + index * 0.5, channel) for index, token in enumerate(text.split())]
