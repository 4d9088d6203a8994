"""Word error rate after Whisper's English text normalisation.

The normaliser is the one Whisper's authors use for English WER (`EnglishTextNormalizer` from transformers): lower
case, punctuation and filler words (uh, um, hmm) removed, contractions expanded, spelled-out numbers turned into
digits. Its British→American spelling map ships only with the `openai-whisper` package, so it runs with an empty
map here: "colour" and "color" count as different words. Reference and hypothesis go through the same normaliser.
"""

from functools import cache

import jiwer
from transformers.models.whisper.english_normalizer import EnglishTextNormalizer


@cache
def _normalizer() -> EnglishTextNormalizer:
    return EnglishTextNormalizer({})


def normalize(text: str) -> str:
    return _normalizer()(text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of hypothesis against reference, both normalised; a hypothesis with no words scores 1.0."""
    ref = normalize(reference)
    if not ref.split():
        raise ValueError("the reference holds no words after normalisation")
    hyp = normalize(hypothesis)
    if not hyp.split():
        return 1.0
    return float(jiwer.wer(ref, hyp))
