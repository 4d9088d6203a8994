"""Context biasing: the terms a call is likely to contain (product, rep, customer and company names), fitted to what a
recogniser can take, and a correction of near misses restricted to those terms.

The list arrives ordered by priority (see `pipeline.biasing`); a recogniser that holds fewer terms keeps the first.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache

import jellyfish
import pymorphy3
from fonetika.metaphone import RussianMetaphone
from rapidfuzz import fuzz

from models import Word

WHISPER_PROMPT_TOKENS = 223
"""Whisper's decoder reads at most 448 tokens, half of them prompt; faster-whisper keeps the first 223 tokens of the
hotwords and drops the rest mid-term, so the list is cut before that, at a term boundary."""

TERM_SEPARATOR = ", "


class BiasMode(StrEnum):
    """How the terms reach Whisper."""

    hotwords = "hotwords"
    """As faster-whisper's hotwords: a prompt before every 30-s window."""
    prompt = "prompt"
    """As the initial prompt: the first window only, then the call's own text carries on (when conditioning)."""
    none = "none"
    """Not at all (the terms still serve the correction)."""


def fit_terms(terms: Sequence[str], count_tokens: Callable[[str], int], limit: int) -> list[str]:
    """The terms, in the order given, joined as the recogniser reads them, within `limit` tokens. A term that would
    overflow is left out and shorter ones after it may still fit; repeats (in any letter case) are dropped."""
    kept: list[str] = []
    seen: set[str] = set()
    for term in terms:
        term = " ".join(term.split())
        if not term or term.casefold() in seen:
            continue
        if count_tokens(TERM_SEPARATOR.join([*kept, term])) <= limit:
            kept.append(term)
            seen.add(term.casefold())
    return kept


@dataclass(frozen=True)
class Correction:
    """A post-recognition correction towards the bias list.

    A run of recognised words is replaced by a term when they read alike and the recogniser was unsure of them (their
    mean probability below `confidence`): a confident word is never overwritten. Reading alike: rapidfuzz's ratio
    (0–100) on the letters, spaces and punctuation dropped, of at least `similarity`, and each word starting with the
    letter of the term's word in its place ("heels road" → "Hills Road", but "one guest house" never becomes "Acorn
    Guest House"); a run of another word count ("guesthouse" for "Guest House") must reach `joined_similarity`.
    A single-word Russian term heard in another of its forms ("Сбербанке" for "Сбербанк") is left as it was said.
    """

    similarity: float = 75.0
    joined_similarity: float = 90.0
    confidence: float = 0.8
    """Chosen on the biasing benchmark's tune references (benchmarks/README.md): 0.6 left "тенгет" (0.68) and
    "нейронной сети" (0.77) alone, and with no guard at all a distractor was put in."""
    min_letters: int = 5
    """Shorter terms are left alone: among short words, near matches are mostly other words."""
    by_sound: bool = True
    """Words start alike when they start with the same sound, by their phonetic keys (Metaphone for Latin letters, a
    Russian Metaphone for Cyrillic): "Kathy" for "Cathy"; and in a term of three words or more one word after the
    first may start otherwise ("Frankie and Danny" → "Frankie and Bennys")."""

    def apply(self, words: list[Word], terms: Sequence[str]) -> list[Word]:
        """The words with each near miss of a term replaced by the term's words, spread over its time span."""
        targets = [(term, _letters(term)) for term in terms]
        targets = [(term, letters) for term, letters in targets if len(letters) >= self.min_letters]
        if not targets or not words:
            return words
        corrected: list[Word] = []
        index = 0
        while index < len(words):
            match = self._best_match(words, index, targets)
            if match is None:
                corrected.append(words[index])
                index += 1
                continue
            term, length = match
            corrected.extend(_spread(term, words[index : index + length]))
            index += length
        return corrected

    def _best_match(self, words: list[Word], index: int, targets: list[tuple[str, str]]) -> tuple[str, int] | None:
        best: tuple[float, str, int] | None = None
        channel = words[index].channel
        first = _letters(words[index].text)
        if any(_said_here(words, index, first, term, letters) for term, letters in targets):
            # A term said here as it is written, or in another of its forms, is never taken for another term, and a
            # longer run must not swallow the word after it.
            return None
        for term, letters in targets:
            if not self._start_alike(first, letters):
                # Every match starts alike with the term (see `_alike`); this spares the comparisons.
                continue
            size = len(term.split())
            lengths = range(max(1, size - 1), min(size + 2, len(words) - index + 1))
            runs = [words[index : index + length] for length in lengths]
            runs = [run for run in runs if all(word.channel == channel for word in run)]
            heard = [_letters(" ".join(word.text for word in run)) for run in runs]
            for run, said in zip(runs, heard, strict=True):
                if sum(word.probability for word in run) / len(run) >= self.confidence:
                    continue
                score = fuzz.ratio(said, letters)
                if self._alike(run, term, score) and (best is None or score > best[0]):
                    best = (score, term, len(run))
        return None if best is None else (best[1], best[2])

    def _alike(self, run: list[Word], term: str, score: float) -> bool:
        said = [_letters(word.text) for word in run]
        meant = [_letters(word) for word in term.split()]
        if len(said) != len(meant):
            return score >= self.joined_similarity and self._start_alike(said[0], meant[0])
        starts = [self._start_alike(a, b) for a, b in zip(said, meant, strict=True)]
        if score < self.similarity or not starts[0]:
            return False
        return all(starts) or (self.by_sound and len(meant) >= 3 and starts.count(False) == 1)

    def _start_alike(self, said: str, meant: str) -> bool:
        if said[:1] == meant[:1]:
            return True
        return self.by_sound and bool(said) and _sounds(said)[:1] == _sounds(meant)[:1] != ""


def _said_here(words: list[Word], index: int, first: str, term: str, letters: str) -> bool:
    """Whether the words from `index` on (the first of them reading `first`) are the term as it is written (in as
    many words, or one fewer or more), or, for a one-word Russian term, the word is another of its forms."""
    size = len(term.split())
    if size == 1 and first.replace("ё", "е") in _forms(letters):
        return True
    if not first or not letters.startswith(first):
        return False
    for length in range(max(1, size - 1), min(size + 2, len(words) - index + 1)):
        if _letters(" ".join(word.text for word in words[index : index + length])) == letters:
            return True
    return False


@lru_cache(maxsize=65536)
def _sounds(text: str) -> str:
    """The phonetic keys of the text's words, run together: Russian Metaphone for Cyrillic words, Metaphone for
    the others."""
    keys = []
    for word in re.findall(r"[^\W\d_]+", text.casefold()):
        keys.append(_russian_metaphone().transform(word) if _CYRILLIC.search(word) else jellyfish.metaphone(word))
    return "".join(keys).casefold()


_CYRILLIC = re.compile("[а-яё]")


@cache
def _russian_metaphone() -> RussianMetaphone:
    return RussianMetaphone()


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=4096)
def _forms(word: str) -> frozenset[str]:
    """The other forms of a Russian word that the dictionary knows (its lexemes), 'ё' read as 'е'; none for a word
    in other letters or one the dictionary does not know."""
    if not _CYRILLIC.search(word):
        return frozenset()
    forms = {form.word.replace("ё", "е") for parse in _morph().parse(word) if parse.is_known for form in parse.lexeme}
    return frozenset(forms - {word.replace("ё", "е")})


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _spread(term: str, run: list[Word]) -> list[Word]:
    """The term's words over the run's time span, in proportion to their length; the trailing punctuation of the
    run's last word is kept."""
    parts = term.split()
    trailing = re.search(r"[^\w]*$", run[-1].text)
    if trailing is not None and trailing.group():
        parts[-1] += trailing.group()
    start, end = run[0].start, run[-1].end
    total = sum(len(part) for part in parts)
    probability = min(word.probability for word in run)
    spread: list[Word] = []
    at = start
    for part in parts:
        until = at + (end - start) * len(part) / total
        spread.append(Word(text=part, start=at, end=min(until, end), probability=probability, channel=run[0].channel))
        at = until
    return spread
