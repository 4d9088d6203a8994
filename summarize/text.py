"""Text normalisation shared by phrase matching and quote grounding.

Both sides of every comparison (script phrases and transcript words) go through `normalize`, so a phrase written in
its dictionary form ("назначить встречу") matches the inflected words a rep says ("назначим встречу").
"""

import re
from functools import lru_cache

import pymorphy3

_TOKEN = re.compile(r"[\w']+")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "ё": "е", "Ё": "е"})


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    # Building the analyzer loads its dictionaries (~0.2 s, tens of MB): once per process.
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def _russian_lemma(token: str) -> str:
    if not re.search(r"[а-я]", token):
        return token
    morph = _morph()
    # pymorphy3 guesses lemmas for words it does not know ("демо" → "дть"); such guesses join unrelated words.
    if not morph.word_is_known(token):
        return token
    return morph.parse(token)[0].normal_form.replace("ё", "е")


@lru_cache(maxsize=200_000)
def _english_stem(token: str) -> str:
    """A light suffix stripper: enough to let 'scheduled', 'schedules' and 'scheduling' meet 'schedule'.

    It is applied to phrases and transcript alike, so over-stemming only has to be consistent, not correct.
    """
    if "'" in token or not token.isalpha():
        return token
    if len(token) > 4 and token.endswith("ies"):
        token = token[:-3] + "y"
    elif len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        token = token[:-1]
    if len(token) > 5 and token.endswith("ing"):
        return token[:-3]
    if len(token) > 4 and token.endswith("ed"):
        return token[:-2]
    return token


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped, 'ё' read as 'е', typographic apostrophes made plain."""
    cleaned = text.translate(_APOSTROPHES).lower()
    return [token.strip("'") for token in _TOKEN.findall(cleaned) if token.strip("'")]


def normalize_token(token: str, language: str) -> str:
    """One already-tokenized word in the form phrases are compared in."""
    if language.startswith("ru"):
        return _russian_lemma(token)
    if language.startswith("en"):
        return _english_stem(token)
    return token


def normalize(text: str, language: str) -> list[str]:
    """Tokens of `text` in comparable form: lower-case, no punctuation, 'ё'→'е', Russian lemmatised (pymorphy3).

    Russian words that pymorphy3 does not know (brand names, ASR errors) are kept as they are; Cyrillic words in
    English text and Latin words in Russian text pass through unchanged apart from case.
    """
    return [normalize_token(token, language) for token in tokenize(text)]
