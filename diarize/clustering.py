"""Speaker clustering for phone calls: a hinted speaker count, and memory that grows linearly with the call.

Hinted, not forced: a phone call is expected to have `expected` speakers (two), so as many clusters as the
threshold finds up to that number are kept, as pyannote's 1-to-2 bound did. A cluster beyond the expected ones is
kept only when it holds at least `EXTRA_MIN_EMBEDDINGS` chunk embeddings (a chunk every second, each 10 s long)
and its centroid is at least `EXTRA_MIN_DISTANCE` (cosine) from every larger cluster; otherwise pyannote's own
search for a smaller number of clusters merges it. One speaker stays one speaker.

Two voices in one cluster: the threshold, tuned on two-party calls, merges similar 8 kHz voices on calls with more
of them. Every kept cluster is split in two by Ward linkage within it; when both halves hold at least
`SPLIT_MIN_EMBEDDINGS` embeddings and their centroids are at least `SPLIT_MIN_DISTANCE` (cosine) apart, the halves
are two speakers. One voice's embeddings split into a large and a small half, or into close ones.

Bounded: agglomerative clustering needs all pairwise distances, memory quadratic in the embeddings (a 4-hour call
has some 21,600: 1.9 GB of distances alone). Above `MAX_LINKAGE_EMBEDDINGS` the clustering runs on that many
representatives, evenly spaced in time, and every embedding joins the nearest representative cluster's centroid.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyannote.audio.pipelines.clustering import AgglomerativeClustering
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist

logger = logging.getLogger(__name__)

EXPECTED_SPEAKERS_KEY = "expected_speakers"
"""Where the diarizer passes the hint: a key of the audio mapping pyannote hands on to its clustering."""

EXTRA_MIN_EMBEDDINGS = 0
EXTRA_MIN_DISTANCE = 0.15
"""Chosen on the tune part of the evaluation mixtures (`benchmarks/speaker_count.py`, figures in benchmarks/README.md):
every extra cluster the threshold found there was a real voice (9 to 28 embeddings, 0.25 to 0.53 apart), so the
most permissive rows won (8 of 10 counts right); pyannote's minimum cluster size (12 embeddings, fewer on short
recordings) still merges smaller clusters first."""

SPLIT_MIN_EMBEDDINGS = 14
SPLIT_MIN_DISTANCE = 0.15
"""Chosen on the tune part of the evaluation mixtures: the two merged pairs of voices there split into halves of
21/22 and 33/35 embeddings, 0.17 and 0.20 apart; every one-voice cluster's smaller half held fewer than 14
embeddings or its halves were under 0.12 apart. All ten counts were right from 14 to 20 embeddings and 0.12 to 0.17;
the middle was chosen."""

MAX_LINKAGE_EMBEDDINGS = 3000
"""3,000 embeddings: 36 MB of pairwise distances, about 35 minutes of a two-party call clustered whole."""


@dataclass
class CountDecision:
    """How many speakers the hint let through, and the evidence for each cluster beyond the expected ones."""

    expected: int | None
    found: int
    accepted: int
    extras: list[tuple[int, float]] = field(default_factory=list)
    """(embeddings, cosine distance to the nearest larger cluster) of each extra cluster, largest first."""
    halves: list[tuple[int, float]] = field(default_factory=list)
    """(embeddings in the smaller half, cosine distance between the halves) of each kept cluster, largest first."""
    split: int = 0
    """How many kept clusters were two voices."""
    representatives: int | None = None
    """How many embeddings stood for all of them, when there were too many to cluster whole."""


class PhoneCallClustering(AgglomerativeClustering):
    """pyannote's agglomerative clustering with a hinted speaker count and a bound on the embeddings linked."""

    def __init__(
        self,
        metric: str = "cosine",
        *,
        extra_min_embeddings: int = EXTRA_MIN_EMBEDDINGS,
        extra_min_distance: float = EXTRA_MIN_DISTANCE,
        split_min_embeddings: int = SPLIT_MIN_EMBEDDINGS,
        split_min_distance: float = SPLIT_MIN_DISTANCE,
        max_linkage_embeddings: int = MAX_LINKAGE_EMBEDDINGS,
    ) -> None:
        super().__init__(metric=metric)
        self.extra_min_embeddings = extra_min_embeddings
        self.extra_min_distance = extra_min_distance
        self.split_min_embeddings = split_min_embeddings
        self.split_min_distance = split_min_distance
        self.max_linkage_embeddings = max_linkage_embeddings
        self._expected: int | None = None
        self.last_decision: CountDecision | None = None
        """The latest call's decision: the diarizer logs it, the benchmarks tune on it."""

    def __call__(
        self,
        embeddings: np.ndarray,
        segmentations: Any | None = None,
        num_clusters: int | None = None,
        min_clusters: int | None = None,
        max_clusters: int | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        file = kwargs.get("file")
        self._expected = file.get(EXPECTED_SPEAKERS_KEY) if isinstance(file, Mapping) else None
        self.last_decision = None
        return super().__call__(
            embeddings,
            segmentations=segmentations,
            num_clusters=num_clusters,
            min_clusters=min_clusters,
            max_clusters=max_clusters,
            **kwargs,
        )

    def cluster(
        self,
        embeddings: np.ndarray,
        min_clusters: int | None = None,
        max_clusters: int | None = None,
        num_clusters: int | None = None,
    ) -> np.ndarray:
        total = embeddings.shape[0]
        if total > self.max_linkage_embeddings:
            return self._cluster_representatives(embeddings, min_clusters, max_clusters, num_clusters)
        if self._expected is not None and num_clusters is None and total > 1:
            decision, labels = self._count(embeddings)
            self.last_decision = decision
            if labels is not None and labels.max() < (max_clusters or total):
                return labels
            max_clusters = max(min_clusters or 1, min(max_clusters or total, decision.accepted))
        return super().cluster(
            embeddings, min_clusters=min_clusters, max_clusters=max_clusters, num_clusters=num_clusters
        )

    def _count(self, embeddings: np.ndarray) -> tuple[CountDecision, np.ndarray | None]:
        """The threshold's clusters, as pyannote forms them, how many of them the hint accepts and which of those
        are two voices; when any is, the labels that split them (the others joining the nearest kept cluster)."""
        expected = self._expected or 1
        unit = _unit(embeddings)
        clusters = fcluster(linkage(unit, method=self.method, metric="euclidean"), self.threshold, "distance") - 1
        labels, sizes = np.unique(clusters, return_counts=True)
        min_size = min(self.min_cluster_size, max(1, round(0.1 * len(unit))))
        large = [(int(size), label) for label, size in zip(labels, sizes, strict=True) if size >= min_size]
        large.sort(key=lambda pair: -pair[0])
        decision = CountDecision(expected=expected, found=len(large), accepted=max(expected, len(large)))
        if len(large) > expected:
            centroids = _unit(np.vstack([unit[clusters == label].mean(axis=0) for _, label in large]))
            decision.extras = [
                (size, float((1.0 - centroids[:index] @ centroids[index]).min()))
                for index, (size, _) in enumerate(large)
                if index >= expected
            ]
            decision.accepted = expected + sum(self.accepts(size, distance) for size, distance in decision.extras)
        kept = [
            label
            for index, (_, label) in enumerate(large)
            if index < expected or self.accepts(*decision.extras[index - expected])
        ]
        split = np.full(len(unit), -1)
        for label in kept:
            members = np.flatnonzero(clusters == label)
            halves, smaller, distance = _halves(unit[members])
            decision.halves.append((smaller, distance))
            two = self.splits(smaller, distance)
            decision.split += two
            split[members] = 2 * label + (halves if two else 0)
        return decision, _nearest_kept(unit, split, clusters) if decision.split else None

    def accepts(self, size: int, distance: float) -> bool:
        """Whether a cluster beyond the expected ones is a speaker of its own."""
        return size >= self.extra_min_embeddings and distance >= self.extra_min_distance

    def splits(self, smaller: int, distance: float) -> bool:
        """Whether a kept cluster whose halves are `smaller` (the smaller one) and `distance` apart is two voices."""
        return smaller >= self.split_min_embeddings and distance >= self.split_min_distance

    def _cluster_representatives(
        self,
        embeddings: np.ndarray,
        min_clusters: int | None,
        max_clusters: int | None,
        num_clusters: int | None,
    ) -> np.ndarray:
        total = embeddings.shape[0]
        chosen = np.linspace(0, total - 1, self.max_linkage_embeddings).round().astype(int)
        # Cluster sizes among representatives stand for proportionally more speech.
        full_extra, full_split = self.extra_min_embeddings, self.split_min_embeddings
        self.extra_min_embeddings = max(1, round(full_extra * len(chosen) / total))
        self.split_min_embeddings = max(1, round(full_split * len(chosen) / total))
        try:
            clusters = self.cluster(embeddings[chosen].copy(), min_clusters, max_clusters, num_clusters)
        finally:
            self.extra_min_embeddings, self.split_min_embeddings = full_extra, full_split
        unit = _unit(embeddings)
        centroids = np.vstack([unit[chosen][clusters == k].mean(axis=0) for k in range(int(clusters.max()) + 1)])
        assigned = np.empty(total, dtype=int)
        # In blocks, so the distances never take more than a block's rows at a time.
        for start in range(0, total, self.max_linkage_embeddings):
            block = unit[start : start + self.max_linkage_embeddings]
            assigned[start : start + len(block)] = cdist(block, centroids, metric="cosine").argmin(axis=1)
        if self.last_decision is not None:
            self.last_decision.representatives = len(chosen)
        logger.info("clustered %d speaker embeddings through %d representatives", total, len(chosen))
        return assigned


def _halves(unit: np.ndarray) -> tuple[np.ndarray, int, float]:
    """A cluster's two halves by Ward linkage (0/1 per member), the smaller half's size and their cosine distance."""
    if len(unit) < 2:
        return np.zeros(len(unit), dtype=int), 0, 0.0
    halves = fcluster(linkage(unit, method="ward", metric="euclidean"), 2, "maxclust") - 1
    if halves.max() == 0:
        return halves, 0, 0.0
    first, second = _unit(np.vstack([unit[halves == half].mean(axis=0) for half in (0, 1)]))
    return halves, int(min(np.bincount(halves))), float(1.0 - first @ second)


def _nearest_kept(unit: np.ndarray, labels: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Labels 0..k-1 for the kept clusters (labels >= 0); every other threshold cluster (`clusters`) joins the kept
    one with the nearest centroid, as pyannote joins its small clusters to large ones."""
    kept = np.unique(labels[labels >= 0])
    centroids = np.vstack([unit[labels == label].mean(axis=0) for label in kept])
    joined = labels.copy()
    for cluster in np.unique(clusters[labels < 0]):
        members = clusters == cluster
        nearest = cdist(unit[members].mean(axis=0, keepdims=True), centroids, metric="cosine").argmin()
        joined[members] = kept[nearest]
    return np.searchsorted(kept, joined)


def _unit(vectors: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
