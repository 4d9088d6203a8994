"""How close in meaning two short texts are: content-word lemmas, compared through navec word vectors for Russian.

`closeness(example, said)` is the weighted share of the example's content words that the said text covers, each
word counted by its best match among the said words: 1 for the same lemma (pymorphy3 for Russian, the light stem of
`summarize.text` for English), the cosine of their navec vectors for two different Russian words when it reaches
`WORD_SIMILAR` ("стоимость" ~ "цена" 0.76), else 0. Coverage of the example, not of the utterance, because a rep
says a step inside a longer turn: "а вот по деньгам какой бюджет закладывали, если не секрет" covers "какой бюджет
закладывали" fully. `summarize.meaning` compares examples with spans of a few words, not whole turns.

Chosen on the dev part of the blind-written set (Russian, 30 calls; mean over items of how well the closest span
ranks calls labelled 'yes' above calls labelled 'no', ROC AUC): `WORD_SIMILAR` 0.5 / 0.6 / 0.7 gave 0.78 / 0.78 /
0.85 with `LIGHT_WEIGHT` 0.6 and 8-word spans; `LIGHT_WEIGHT` 0.3 gave 0.81 at 0.7.

navec (`navec_news_v1_1B_250K_300d_100q`, 250k words, shipped inside natasha's wheel) loads once per process
(1.9 s on 2 cores); no packaged English word-vector or multilingual sentence model is usable offline (see
../shared/notes/offline-models.md), so English compares lemmas only and its examples must list more wordings.
"""

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from summarize.text import normalize_token, tokenize

if TYPE_CHECKING:
    from navec import Navec

# Below this cosine two different words are not read as the same meaning (see the module's docstring for why 0.7).
WORD_SIMILAR = 0.7

# Words that carry no step of their own, in their normal form. Kept short on purpose: question words and
# pronouns ("кто", "когда", "вы", "who", "when") are what several steps are made of, so they stay content.
_STOP_RAW = {
    "ru": "а и в во на с со к ко по о об от до из у за же ли бы ну вот это этот то там тут так как "
    "да ага угу э-э эм ой ладно просто вообще типа значит слушать смотреть таки",
    "en": "a an the and or but so of to in on at for with by from is are be am was were do does did "
    "uh um like well oh just really okay ok yeah",
}


# Words that say little on their own but shape a step ("вы", "сейчас", "can"): they count at `LIGHT_WEIGHT`, so an
# example is not covered by pronouns alone (at full weight, "как вы сейчас" covered a dev call's "вам сейчас удобно
# ..." entirely, a false 'yes' for the current situation).
LIGHT_WEIGHT = 0.6
_LIGHT_RAW = {
    "ru": "вы ваш я мы наш они он она сейчас что для мочь быть есть еще уже тот тем такой под давать хотеть нужно "
    "тогда раз или чтобы не большой сам весь все когда какой кто сколько чем где",
    "en": "you your i we our they it that this what can could would will have has get want need now there me us "
    "not when which who how much many where",
}


@lru_cache(maxsize=4)
def _light(language: str) -> frozenset[str]:
    return frozenset(normalize_token(word, language) for word in _LIGHT_RAW.get(language, "").split())


@lru_cache(maxsize=4)
def _stopwords(language: str) -> frozenset[str]:
    return frozenset(normalize_token(word, language) for word in _STOP_RAW.get(language, "").split())


@lru_cache(maxsize=1)
def _navec() -> "Navec":
    from navec import Navec  # imported here: English calls never load the Russian vectors

    # The vectors ship inside natasha's wheel; find them without importing natasha, which pulls in pymorphy2.
    spec = importlib.util.find_spec("natasha")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("natasha (it ships the navec word vectors) is not installed")
    folder = Path(spec.origin).parent / "data" / "emb"
    return Navec.load(str(next(folder.glob("navec_*.tar"))))


@lru_cache(maxsize=100_000)
def _vector(lemma: str) -> np.ndarray | None:
    navec = _navec()
    if lemma not in navec.vocab.word_ids:
        return None
    vector = np.asarray(navec[lemma], dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


@dataclass(frozen=True)
class Words:
    """A text's content words in normal form, with the unit vectors of those navec knows (Russian only)."""

    lemmas: tuple[str, ...]
    matrix: np.ndarray | None
    known: tuple[int, ...]
    weights: np.ndarray


@lru_cache(maxsize=50_000)
def words_of(text: str, language: str) -> Words:
    stop = _stopwords(language)
    lemmas = tuple(
        dict.fromkeys(
            lemma for lemma in (normalize_token(t, language) for t in tokenize(text)) if lemma and lemma not in stop
        )
    )
    light = _light(language)
    weights = np.array([LIGHT_WEIGHT if lemma in light else 1.0 for lemma in lemmas], dtype=np.float32)
    if not language.startswith("ru"):
        return Words(lemmas, None, (), weights)
    vectors = [(index, v) for index, lemma in enumerate(lemmas) if (v := _vector(lemma)) is not None]
    if not vectors:
        return Words(lemmas, None, (), weights)
    return Words(lemmas, np.stack([v for _, v in vectors]), tuple(index for index, _ in vectors), weights)


def _covered(example: Words, said: Words) -> np.ndarray:
    """Per example word: 1 for the same lemma in `said`, the cosine of its closest word there, or 0."""
    best = np.array([1.0 if lemma in said.lemmas else 0.0 for lemma in example.lemmas], dtype=np.float32)
    if example.matrix is not None and said.matrix is not None:
        similar = (example.matrix @ said.matrix.T).max(axis=1)
        similar = np.where(similar >= WORD_SIMILAR, similar, 0.0)
        for row, index in enumerate(example.known):
            best[index] = max(best[index], float(similar[row]))
    return best


def shared_words(a: Words, b: Words) -> int:
    """How many of `a`'s full-weight words `b` says too, or says with a close word: a subject taken up."""
    if not a.lemmas or not b.lemmas:
        return 0
    return int(((_covered(a, b) > 0) & (a.weights >= 1.0)).sum())


def closeness(example: Words, said: Words) -> float:
    """The weighted share (0..1) of the example's content words the said words cover; see the module's docstring."""
    if not example.lemmas or not said.lemmas:
        return 0.0
    return float((_covered(example, said) * example.weights).sum() / example.weights.sum())
