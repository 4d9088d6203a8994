"""The bias-list correction's matching by sound and Russian word forms: near misses corrected, terms said as written
(or in another of their forms) never taken for another term."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from models import Word
from transcribe.biasing import Correction


def _words(text: str, probability: float = 0.4) -> list[Word]:
    return [Word(text=t, start=i * 0.5, end=i * 0.5 + 0.4, probability=probability) for i, t in enumerate(text.split())]


def _text(words: list[Word]) -> str:
    return " ".join(word.text for word in words)


def test_words_that_sound_like_a_term_are_corrected_and_others_are_not() -> None:
    terms = ["Frankie and Bennys", "Acorn Guest House", "Cathy Wilson", "Diane", "Tennessee", "Stevenage"]
    by_sound, by_letters = Correction(), Correction(by_sound=False)
    # One word after the first of a three-word term may start with another letter.
    assert _text(by_sound.apply(_words("the Frankie and Danny"), terms)) == "the Frankie and Bennys"
    assert _text(by_letters.apply(_words("the Frankie and Danny"), terms)) == "the Frankie and Danny"
    # The first word must start alike: "one guest house" is not the Acorn Guest House.
    assert _text(by_sound.apply(_words("I found one guest house"), terms)) == "I found one guest house"
    # Another letter with the same first sound, and keys closer than the letters.
    assert _text(by_sound.apply(_words("ask for Kathy Wilson"), terms)) == "ask for Cathy Wilson"
    # A term said as written is never taken for another listed term that starts with the same sound.
    assert _text(by_sound.apply(_words("this is Diane at seven"), terms)) == "this is Diane at seven"
    assert _text(by_sound.apply(_words("the Hinton hotel"), ["Hilton", "Hinton"])) == "the Hinton hotel"
    # A confident word stays, however alike.
    assert _text(by_sound.apply(_words("the Frankie and Danny", 0.9), terms)) == "the Frankie and Danny"


def test_a_russian_term_said_in_another_form_is_left_as_said() -> None:
    fix = Correction()
    terms = ["Сбербанк", "нейронные сети", "бедняга", "бедняков"]
    assert _text(fix.apply(_words("карта в Сбербанке"), terms)) == "карта в Сбербанке"
    assert _text(fix.apply(_words("карта в сбирбанк"), terms)) == "карта в Сбербанк"
    assert _text(fix.apply(_words("нейронной сети это хорошо"), terms)) == "нейронные сети это хорошо"
    assert _text(fix.apply(_words("Бедняга. Ребят"), terms)) == "Бедняга. Ребят"
