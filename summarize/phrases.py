"""Finding script and field phrases in what was said, tolerant to inflection, ASR errors and negation.

A phrase matches when its normalised tokens (see `summarize.text.normalize`) appear in order inside one utterance.
Rules, in the order they are applied:
- tokens are compared after normalisation (Russian lemmas, light English stems); with `fuzzy`, two words of at
  least `FUZZY_MIN_LENGTH` characters also match when one letter added, dropped or changed turns one into the other
  (two letters from `FUZZY_LONG_LENGTH` characters), in their normal or their spoken form: this absorbs ASR slips
  ("decission", "кампания", "бюджед", "кампании" for "компании" whichever normal form each gets) but not a verb
  prefix that changes the meaning ("думаю" is not "подумаем"); shorter words must match exactly, since one letter
  turns them into other words ("нашем", "вашем");
- at most `MAX_GAP` filler tokens may sit between two phrase tokens ("назначим с вами встречу" for "назначить встречу"),
  never a negator;
- a match stays inside one clause: it may not run past a word ending in . , ! ? ; : (so "Решает директор, я
  собираю варианты" is not "решаю я"), except where the phrase itself is written with that punctuation
  ("спасибо, что позвонили" also matches across the comma Russian puts before "что");
- a match is `negated` when a negator stands among the `NEGATION_WINDOW` tokens before it, counted back within the
  same clause: a word ending in . , ! ? ; : closes the window, so "No problem, let's book a demo" is not negated;
  a phrase that itself begins with a negator ("не потеряется", "no obligation") is never marked negated, since
  Russian doubles negation for emphasis ("ни одно обращение не потеряется").
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz.distance import Levenshtein

from models import Role, Utterance
from summarize.text import normalize_token, tokenize

FUZZY_MIN_LENGTH = 6
FUZZY_LONG_LENGTH = 10
MAX_GAP = 2
NEGATION_WINDOW = 3
_CLAUSE_END = (".", ",", "!", "?", ";", ":", "…")
_NEGATORS_RAW = (
    "not no don't dont doesn't didn't won't can't cannot isn't aren't wasn't weren't haven't hasn't never "
    "не нет ни никогда"
)


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    utterance_index: int
    start: float
    end: float
    quote: str
    negated: bool


@dataclass(frozen=True)
class _Token:
    norm: str
    word: int
    clause_end: bool
    spoken: str


@lru_cache(maxsize=8)
def negator_words(language: str) -> frozenset[str]:
    return frozenset(normalize_token(token, language) for token in _NEGATORS_RAW.split())


@lru_cache(maxsize=20_000)
def _utterance_tokens(words: tuple[str, ...], language: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    for index, text in enumerate(words):
        parts = tokenize(text)
        ends_clause = text.strip().endswith(_CLAUSE_END)
        for position, part in enumerate(parts):
            last = position == len(parts) - 1
            tokens.append(_Token(normalize_token(part, language), index, ends_clause and last, part))
    return tuple(tokens)


@lru_cache(maxsize=20_000)
def _phrase_tokens(phrase: str, language: str) -> tuple[_Token, ...]:
    return _utterance_tokens(tuple(phrase.split()), language)


def _close(a: str, b: str) -> bool:
    shorter = min(len(a), len(b))
    if shorter < FUZZY_MIN_LENGTH:
        return False
    edits = 2 if shorter >= FUZZY_LONG_LENGTH else 1
    return Levenshtein.distance(a, b, score_cutoff=edits) <= edits


def _same(said: _Token, wanted: _Token, fuzzy: bool) -> bool:
    if said.norm == wanted.norm:
        return True
    return fuzzy and (_close(said.norm, wanted.norm) or _close(said.spoken, wanted.spoken))


def _match_at(
    tokens: Sequence[_Token], start: int, phrase: Sequence[_Token], negators: frozenset[str], fuzzy: bool
) -> int | None:
    """Index of the last token of a match of `phrase` that begins at `start`, or None."""
    if not _same(tokens[start], phrase[0], fuzzy):
        return None
    position = start
    for previous, wanted in pairwise(phrase):
        for step in range(1, MAX_GAP + 2):
            candidate = position + step
            if candidate >= len(tokens) or (tokens[candidate - 1].clause_end and not previous.clause_end):
                return None
            if _same(tokens[candidate], wanted, fuzzy):
                position = candidate
                break
            if tokens[candidate].norm in negators:
                return None
        else:
            return None
    return position


def _negated(tokens: Sequence[_Token], start: int, negators: frozenset[str]) -> bool:
    for index in range(start - 1, max(start - 1 - NEGATION_WINDOW, -1), -1):
        if tokens[index].clause_end:
            return False
        if tokens[index].norm in negators:
            return True
    return False


def find_phrases(
    utterances: Sequence[Utterance],
    phrases: Sequence[str],
    language: str,
    *,
    role: Role | None = None,
    fuzzy: bool = True,
) -> list[PhraseMatch]:
    """Every occurrence of any of `phrases` in `utterances` (only `role`'s, when given), in conversation order.

    Occurrences of one phrase do not overlap; different phrases may match the same words.
    """
    negators = negator_words(language)
    wanted = [(phrase, _phrase_tokens(phrase, language)) for phrase in phrases]
    wanted = [(phrase, tokens) for phrase, tokens in wanted if tokens]
    matches: list[PhraseMatch] = []
    for utterance_index, utterance in enumerate(utterances):
        if role is not None and utterance.role != role:
            continue
        tokens = _utterance_tokens(tuple(word.text for word in utterance.words), language)
        for phrase, phrase_tokens in wanted:
            start = 0
            while start < len(tokens):
                last = _match_at(tokens, start, phrase_tokens, negators, fuzzy)
                if last is None:
                    start += 1
                    continue
                words = utterance.words[tokens[start].word : tokens[last].word + 1]
                matches.append(
                    PhraseMatch(
                        phrase=phrase,
                        utterance_index=utterance_index,
                        start=words[0].start,
                        end=words[-1].end,
                        quote=" ".join(word.text.strip() for word in words),
                        negated=phrase_tokens[0].norm not in negators and _negated(tokens, start, negators),
                    )
                )
                start = last + 1
    matches.sort(key=lambda match: (match.utterance_index, match.start))
    return matches
