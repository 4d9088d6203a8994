"""Dictionary forms of Russian words, so inflected numerals ("четырёхсот", "восьмидесяти") meet their tables."""

import re
from functools import lru_cache

import pymorphy3


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    # Loading the dictionaries takes ~0.2 s and tens of MB: once per process.
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=100_000)
def lemma(word: str) -> str:
    """The dictionary form of a lower-case Russian word ('ё' read as 'е'); other words, and words pymorphy3 only
    guesses, as they are (its guesses join unrelated words: "демо" → "дть")."""
    word = word.replace("ё", "е")
    if not re.search(r"[а-я]", word) or not _morph().word_is_known(word):
        return word
    return _morph().parse(word)[0].normal_form.replace("ё", "е")


@lru_cache(maxsize=100_000)
def person_part(word: str) -> str | None:
    """'Name', 'Patr' or 'Surn' when pymorphy3's dictionary knows `word` as a first name, a patronymic or a
    surname; None otherwise. Works on lower-case ASR text, where NER finds nothing. A lower-case word must be read
    as a name first and often ("роман" is a novel first); a capitalised one may be a name in any reading ("Алле")."""
    lowered = word.lower()
    if not re.fullmatch(r"[а-яё-]+", lowered):
        return None
    capitalised = word[:1].isupper()
    if not _morph().word_is_known(lowered):
        return None  # pymorphy3 guesses a surname for any unknown capitalised word ("Битрикс")
    for parse in _morph().parse(lowered)[: 4 if capitalised else 2]:
        for part in ("Name", "Patr", "Surn"):
            if part in parse.tag and (capitalised or parse.score >= 0.2):
                return part
    return None


@lru_cache(maxsize=100_000)
def is_plural_noun(word: str) -> bool:
    """Whether pymorphy3 reads `word` first as a plural noun ("камер", "человек", "сотрудников"): after a number it
    says what was counted."""
    word = word.lower().replace("ё", "е")
    if not re.fullmatch(r"[а-я]+", word) or not _morph().word_is_known(word):
        return False
    tag = _morph().parse(word)[0].tag
    return "NOUN" in tag and ("plur" in tag or "gent" in tag)


def is_known(word: str) -> bool:
    """Whether pymorphy3's dictionary knows `word` (a word it does not may be a name: "бетолит", "спортлайф")."""
    return _morph().word_is_known(word.lower().replace("ё", "е"))


@lru_cache(maxsize=20_000)
def nominative(word: str, person: bool = False) -> str:
    """A Russian word in the nominative, its number and gender kept, its capitals kept ("Кухонном" → "Кухонный");
    with `person`, read as a name part first and title-cased ("Алле Викторовне" → "Викторовна"). A word the
    dictionary does not know, or already nominative, stays as it is."""
    lowered = word.lower()
    if not re.fullmatch(r"[а-яё-]+", lowered) or not _morph().word_is_known(lowered):
        return word.capitalize() if person else word
    parses = _morph().parse(lowered)
    if person:
        parses = [p for p in parses if {"Name", "Patr", "Surn"} & set(p.tag.grammemes)] or parses
    form = lowered
    if not any("nomn" in p.tag for p in parses) and (inflected := parses[0].inflect({"nomn"})) is not None:
        form = inflected.word
    if person:
        return form.capitalize()
    return form[:1].upper() + form[1:] if word[:1].isupper() else form


def is_noun(word: str) -> bool:
    """Whether pymorphy3 reads `word` first as a noun."""
    return "NOUN" in _morph().parse(word.lower())[0].tag


@lru_cache(maxsize=100_000)
def is_past_verb(word: str) -> bool:
    """Whether pymorphy3 reads `word` first as a verb in the past tense ("отправлял", "созванивались")."""
    word = word.lower().replace("ё", "е")
    if not re.fullmatch(r"[а-я]+", word):
        return False
    tag = _morph().parse(word)[0].tag
    return "VERB" in tag and "past" in tag
