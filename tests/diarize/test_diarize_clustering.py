"""The phone-call clustering's speaker count on embeddings of known make-up: two similar voices merged by the
two-party threshold are split again, one voice stays one.

The embeddings stand for CAM++ ones (192 dimensions, unit length): each voice a direction, each chunk's embedding
that direction plus noise, as spread within a voice (mean cosine distance to its centre about 0.05) as on the
phone-band evaluation mixtures. The two similar voices are 0.18 apart (cosine), which the 0.6 threshold merges, as
it merged pairs of 8 kHz voices there.
"""

import numpy as np
import pytest
from pyannote.core import SlidingWindow, SlidingWindowFeature

from diarize.clustering import EXPECTED_SPEAKERS_KEY, PhoneCallClustering
from diarize.pyannote_diarizer import CLUSTERING_METHOD, CLUSTERING_THRESHOLD, MIN_CLUSTER_SIZE

DIMENSION = 192
PER_VOICE = 40


def _voices(rng: np.random.Generator, similar_distance: float) -> list[np.ndarray]:
    first = rng.normal(size=DIMENSION)
    first /= np.linalg.norm(first)
    other = rng.normal(size=DIMENSION)
    other -= (other @ first) * first
    other /= np.linalg.norm(other)
    # Rotated from `first` towards an orthogonal direction so that their cosine distance is `similar_distance`.
    angle = np.arccos(1.0 - similar_distance)
    similar = np.cos(angle) * first + np.sin(angle) * other
    far = rng.normal(size=DIMENSION)
    return [first, similar, far / np.linalg.norm(far)]


def _chunks(rng: np.random.Generator, centres: list[np.ndarray]) -> np.ndarray:
    rows = [centre + rng.normal(scale=0.025, size=(PER_VOICE, DIMENSION)) for centre in centres]
    embeddings = np.vstack(rows)
    return (embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True))[:, np.newaxis, :]


def _cluster(clustering: PhoneCallClustering, embeddings: np.ndarray) -> np.ndarray:
    """One local speaker per chunk, speaking alone throughout: every embedding is clustered."""
    chunks = embeddings.shape[0]
    segmentations = SlidingWindowFeature(np.ones((chunks, 10, 1), dtype=np.float32), SlidingWindow(10.0, 1.0))
    hard, _, _ = clustering(
        embeddings=embeddings.copy(),
        segmentations=segmentations,
        min_clusters=1,
        max_clusters=chunks,
        file={EXPECTED_SPEAKERS_KEY: 2},
    )
    return hard[:, 0]


@pytest.fixture
def clustering() -> PhoneCallClustering:
    found = PhoneCallClustering(metric="cosine")
    found.instantiate(
        {"method": CLUSTERING_METHOD, "threshold": CLUSTERING_THRESHOLD, "min_cluster_size": MIN_CLUSTER_SIZE}
    )
    return found


def test_two_similar_voices_merged_by_the_threshold_are_split_again(clustering):
    rng = np.random.default_rng(19)
    labels = _cluster(clustering, _chunks(rng, _voices(rng, similar_distance=0.18)))
    decision = clustering.last_decision
    assert decision is not None and decision.found == 2 and decision.split == 1
    assert len(set(labels)) == 3
    truth = np.repeat([0, 1, 2], PER_VOICE)
    for voice in range(3):
        assert len(set(labels[truth == voice])) == 1, f"voice {voice} spread over {set(labels[truth == voice])}"

    clustering.split_min_distance = 1.0
    assert len(set(_cluster(clustering, _chunks(rng, _voices(rng, similar_distance=0.18))))) == 2


def test_one_voice_and_two_distinct_voices_are_not_split(clustering):
    rng = np.random.default_rng(20)
    first, _, far = _voices(rng, similar_distance=0.18)
    assert len(set(_cluster(clustering, _chunks(rng, [first])))) == 1
    two = _cluster(clustering, _chunks(rng, [first, far]))
    assert len(set(two)) == 2 and clustering.last_decision is not None and clustering.last_decision.split == 0
