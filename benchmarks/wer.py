"""Word error rate after per-language text normalisation, and speaker-attributed WER (cpWER).

English: Whisper's own normaliser for English WER (`EnglishTextNormalizer` from transformers; faster-whisper ships
none): lower case, punctuation and filler words (uh, um, hmm) removed, contractions expanded, spelled-out numbers
turned into digits. Its British→American spelling map ships only with the `openai-whisper` package, so it runs with
an empty map here: "colour" and "color" count as different words.

Russian: lower case, 'ё' as 'е', punctuation and symbols removed (hyphens split words), and numerals written as
words: every run of digits becomes its Russian cardinal in the nominative (`num2words`, "60000" → "шестьдесят
тысяч"), because Russian references spell numbers out; digit groups split by spaces ("60 000") are joined first.

Reference and hypothesis always go through the same normaliser.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from itertools import permutations

import jiwer
from num2words import num2words
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

_DIGIT_GROUPS = re.compile(r"(?<!\d)(\d{1,3})(?: (\d{3}))+(?!\d)")
_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w\s]|_")


@cache
def _english() -> EnglishTextNormalizer:
    return EnglishTextNormalizer({})


def _russian(text: str) -> str:
    text = text.lower().replace("ё", "е")
    text = _DIGIT_GROUPS.sub(lambda m: m.group(0).replace(" ", ""), text)
    text = _NOT_WORD.sub(" ", text)
    text = _NUMBER.sub(lambda m: f" {num2words(int(m.group(0)), lang='ru')} ", text)
    return " ".join(text.replace("ё", "е").split())


def normalize(text: str, language: str = "en") -> str:
    if language == "ru":
        return _russian(text)
    if language == "en":
        return _english()(text)
    raise ValueError(f"no WER normaliser for language {language!r}: only 'en' and 'ru'")


@dataclass(frozen=True)
class Errors:
    """Edit counts against a reference; corpus WER is the sum of errors over the sum of reference words."""

    errors: int
    words: int

    @property
    def rate(self) -> float:
        return self.errors / self.words

    def __add__(self, other: "Errors") -> "Errors":
        return Errors(self.errors + other.errors, self.words + other.words)


def errors(reference: str, hypothesis: str, language: str = "en") -> Errors:
    """Substitutions + deletions + insertions of hypothesis against reference, both normalised."""
    ref = normalize(reference, language).split()
    if not ref:
        raise ValueError("the reference holds no words after normalisation")
    hyp = normalize(hypothesis, language).split()
    if not hyp:
        return Errors(len(ref), len(ref))
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return Errors(out.substitutions + out.deletions + out.insertions, len(ref))


def word_error_rate(reference: str, hypothesis: str, language: str = "en") -> float:
    """WER of hypothesis against reference, both normalised; a hypothesis with no words scores 1.0."""
    return errors(reference, hypothesis, language).rate


def cp_errors(reference: Mapping[str, str], hypothesis: Mapping[str, str], language: str = "en") -> Errors:
    """Concatenated minimum-permutation errors (cpWER, as in CHiME-6): each speaker's words are joined, the
    hypothesis speakers are matched one-to-one to the reference speakers in the way that gives fewest errors, and
    words of an unmatched hypothesis speaker all count as insertions."""
    refs = [normalize(text, language) for text in reference.values()]
    hyps = [normalize(text, language) for text in hypothesis.values()]
    size = max(len(refs), len(hyps))
    refs += [""] * (size - len(refs))
    hyps += [""] * (size - len(hyps))
    total = sum(len(text.split()) for text in refs)
    if total == 0:
        raise ValueError("the reference holds no words after normalisation")
    best = min(sum(_pair_errors(r, h) for r, h in zip(refs, order, strict=True)) for order in permutations(hyps))
    return Errors(best, total)


def _pair_errors(reference: str, hypothesis: str) -> int:
    if not reference.split():
        return len(hypothesis.split())
    if not hypothesis.split():
        return len(reference.split())
    out = jiwer.process_words(reference, hypothesis)
    return out.substitutions + out.deletions + out.insertions
