"""`python -m benchmarks.speaker_count`: the hinted speaker count, tuned on one part of the mixtures, scored on
the other.

1. Tune: the pipeline's diarizer runs on each `tune` mixture (`benchmarks/mixtures.py`) with two speakers expected;
   each cluster beyond two is recorded with its size and its distance to the larger clusters. The thresholds
   (`diarize.clustering`) that get the most tune mixtures' speaker count right are chosen: among equally good ones,
   the middle of the grid's best rows and columns. Then, with those, each kept cluster's two halves are recorded
   (the smaller half's size, their distance) and the split thresholds are chosen the same way.
2. Score: with those thresholds, on each `score` mixture and on the AMI excerpt and pyannote's sample call, three
   ways: no hint (plain pyannote on the same weights and threshold), the former 1-to-2 bound (on the references and
   the mixtures of one or two speakers only), and the hint. DER at collar 0 with overlap scored, and the number of
   speakers found. Segmentation and embeddings run once per recording (the slow part); each way then clusters
   and rebuilds the turns with the pipeline's own code, checked against a whole run on the sample call.
"""

import argparse
import contextlib
import copy
import hashlib
import logging
import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import torch
from pyannote.audio.pipelines.utils.diarization import set_num_speakers
from pyannote.core import Annotation, Segment, SlidingWindowFeature, Timeline
from rich.console import Console
from rich.table import Table

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.mixtures import build_all
from benchmarks.speech_refs import turn_references
from benchmarks.speech_scores import diarisation_errors
from benchmarks.speech_systems import annotation
from diarize.clustering import EXPECTED_SPEAKERS_KEY, CountDecision, PhoneCallClustering
from diarize.pyannote_diarizer import PyannoteDiarizer, StarterSpeakerDiarization
from transcribe.audio import SAMPLE_RATE, decode

SIZES = (0, 5, 10, 15, 20, 30, 40, 60)
DISTANCES = tuple(round(0.15 + 0.05 * step, 2) for step in range(14))
SPLIT_SIZES = (6, 8, 10, 12, 14, 16, 20, 25, 30)
SPLIT_DISTANCES = tuple(round(0.10 + 0.01 * step, 2) for step in range(21))
SYSTEMS = {
    "no hint": {},
    "1-2 bound (before)": {"min_speakers": 1, "max_speakers": 2},
    "hint (now)": {"min_speakers": 1, "expected_speakers": 2},
}


def _clustering(diarizer: PyannoteDiarizer) -> PhoneCallClustering:
    clustering = diarizer.pipeline.clustering
    assert isinstance(clustering, PhoneCallClustering)  # the starter pipeline's
    return clustering


class _Enough(Exception):
    """Raised by the hook once the embeddings are in: the rest is redone per system."""


@dataclass
class Embedded:
    """What the pipeline computes once per recording, before the speaker count matters."""

    segmentations: SlidingWindowFeature
    count: SlidingWindowFeature
    embeddings: np.ndarray


def embed(pipeline: StarterSpeakerDiarization, samples: np.ndarray, cache: Path | None = None) -> Embedded:
    """Segmentation, speaker counting and embeddings of one recording, by the pipeline's own code; kept in `cache`
    (a pickle named by the audio's hash), so two processes can share the slow part."""
    kept = cache / f"{hashlib.sha256(samples.tobytes()).hexdigest()[:16]}.pickle" if cache else None
    if kept is not None and kept.is_file():
        loaded: Embedded = pickle.loads(kept.read_bytes())
        return loaded
    captured: dict[str, Any] = {}

    def hook(step: str, artefact: Any, *, file: Any = None, total: Any = None, completed: Any = None) -> None:
        if completed is None:
            captured[step] = copy.deepcopy(artefact)
        if step == "embeddings" and completed is None:
            raise _Enough

    audio = {"waveform": torch.from_numpy(samples[np.newaxis, :]), "sample_rate": SAMPLE_RATE, "uri": "mixture"}
    with contextlib.suppress(_Enough):
        pipeline(audio, hook=hook)
    embedded = Embedded(captured["segmentation"], captured["speaker_counting"], captured["embeddings"])
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.with_suffix(".part").write_bytes(pickle.dumps(embedded))
        kept.with_suffix(".part").rename(kept)
    return embedded


def finish(pipeline: StarterSpeakerDiarization, embedded: Embedded, **hint: int) -> list[tuple[float, float, str]]:
    """The rest of `SpeakerDiarization.apply` from the clustering on (the segmentation model is powerset)."""
    expected = hint.pop("expected_speakers", None)
    num, low, high = set_num_speakers(**hint)
    file: dict[str, Any] = {"uri": "mixture"} | ({EXPECTED_SPEAKERS_KEY: expected} if expected else {})
    hard, _, _ = pipeline.clustering(
        embeddings=embedded.embeddings.copy(),
        segmentations=embedded.segmentations,
        num_clusters=num,
        min_clusters=low,
        max_clusters=high,
        file=file,
        frames=pipeline._segmentation.model.receptive_field,
    )
    count = copy.deepcopy(embedded.count)
    count.data = np.minimum(count.data, high).astype(np.int8)
    hard[np.sum(embedded.segmentations.data, axis=1) == 0] = -2
    discrete = pipeline.reconstruct(embedded.segmentations, hard, count)
    found = pipeline.to_annotation(
        discrete, min_duration_on=0.0, min_duration_off=pipeline.segmentation.min_duration_off
    )
    return sorted((float(s.start), float(s.end), str(label)) for s, _, label in found.itertracks(yield_label=True))


def tune(diarizer: PyannoteDiarizer, folder: Path, console: Console, cache: Path | None) -> None:
    """Sets the clustering's extra-cluster thresholds, then its split thresholds, from the tune part."""
    clustering = _clustering(diarizer)
    built = [
        (b.mixture.id, len(b.reference.labels()), embed(diarizer.pipeline, b.samples, cache))
        for b in build_all(folder, "tune")
    ]
    seen: list[tuple[int, int, list[tuple[int, float]]]] = []
    for name, truth, embedded in built:
        decision = _decide(diarizer, embedded)
        seen.append((truth, decision.found, decision.extras))
        console.print(f"tune {name}: {truth} speakers, {decision.found} clusters, extras {decision.extras}")
    right = np.zeros((len(SIZES), len(DISTANCES)), dtype=int)
    for i, size in enumerate(SIZES):
        for j, distance in enumerate(DISTANCES):
            for truth, found, extras in seen:
                counted = min(found, 2) + sum(s >= size and d >= distance for s, d in extras)
                right[i, j] += counted == truth
    clustering.extra_min_embeddings, clustering.extra_min_distance = _choose(right, SIZES, DISTANCES, console)
    halves: list[tuple[int, int, list[tuple[int, float]]]] = []
    for name, truth, embedded in built:
        decision = _decide(diarizer, embedded)
        kept = max(1, len(decision.halves))
        halves.append((truth, kept, decision.halves))
        console.print(f"tune {name}: {truth} speakers, {kept} kept, halves {decision.halves}")
    right = np.zeros((len(SPLIT_SIZES), len(SPLIT_DISTANCES)), dtype=int)
    for i, size in enumerate(SPLIT_SIZES):
        for j, distance in enumerate(SPLIT_DISTANCES):
            for truth, kept, pairs in halves:
                right[i, j] += kept + sum(s >= size and d >= distance for s, d in pairs) == truth
    clustering.split_min_embeddings, clustering.split_min_distance = _choose(
        right, SPLIT_SIZES, SPLIT_DISTANCES, console
    )


def _decide(diarizer: PyannoteDiarizer, embedded: Embedded) -> CountDecision:
    finish(diarizer.pipeline, embedded, min_speakers=1, expected_speakers=2)
    return _clustering(diarizer).last_decision or CountDecision(expected=2, found=1, accepted=1)


def _choose(
    right: np.ndarray, sizes: tuple[int, ...], distances: tuple[float, ...], console: Console
) -> tuple[int, float]:
    best = np.argwhere(right == right.max())
    i, j = int(median(best[:, 0])), int(median(best[:, 1]))
    i, j = min(best.tolist(), key=lambda cell: abs(cell[0] - i) + abs(cell[1] - j))
    console.print(f"tune: best {right.max()} right at {len(best)} grid points; chosen {sizes[i]}, {distances[j]}")
    table = Table("min embeddings \\ min distance", *(f"{d:.2f}" for d in distances))
    for row, size in enumerate(sizes):
        table.add_row(str(size), *(str(v) for v in right[row]))
    console.print(table)
    return sizes[i], distances[j]


def _score_set(folder: Path) -> Iterator[tuple[str, str, np.ndarray, Annotation, Timeline | None]]:
    for built in build_all(folder, "score"):
        yield built.mixture.id, built.mixture.scenario, built.samples, built.reference, None
    for ref in turn_references():
        yield ref.path.name, "reference", decode(ref.path).samples.mean(axis=0), ref.turns, ref.uem


def score(diarizer: PyannoteDiarizer, folder: Path, console: Console, cache: Path | None) -> None:
    table = Table("recording", "scenario", "speakers", *(f"{name}: DER / found" for name in SYSTEMS))
    counted_right = mixtures = 0
    for name, scenario, samples, reference, uem in _score_set(folder):
        region = uem or Timeline([Segment(0.0, samples.size / SAMPLE_RATE)], uri=reference.uri)
        cells = []
        truth = len(reference.crop(region).labels())
        embedded = embed(diarizer.pipeline, samples, cache)
        for system, hint in SYSTEMS.items():
            if system == "1-2 bound (before)" and truth > 2 and scenario != "reference":
                cells.append("-")
                continue
            found = annotation(finish(diarizer.pipeline, embedded, **hint), reference.uri)
            der = diarisation_errors(reference, found, region)["DER c0"]
            cells.append(f"{der:.3f} / {len(found.labels())}")
            if system == "hint (now)" and scenario != "reference":
                mixtures += 1
                counted_right += len(found.labels()) == len(reference.labels())
        table.add_row(name, scenario, str(truth), *cells)
        console.print(f"{name} ({truth} speakers): {', '.join(cells)}")
    console.print(table)
    console.print(f"speaker count right on {counted_right} of {mixtures} score mixtures")


def _same_as_the_pipeline(diarizer: PyannoteDiarizer, console: Console) -> None:
    """Embedding once and finishing per system gives what the diarizer itself gives (checked on the sample call)."""
    reference = turn_references()[0]
    samples = decode(reference.path).samples.mean(axis=0)
    whole = diarizer.diarize(samples, SAMPLE_RATE, min_speakers=1, expected_speakers=2)
    parts = finish(diarizer.pipeline, embed(diarizer.pipeline, samples), min_speakers=1, expected_speakers=2)
    if [(round(a, 3), round(b, 3)) for a, b, _ in whole] != [(round(a, 3), round(b, 3)) for a, b, _ in parts]:
        raise RuntimeError(f"embedding once changed the turns on {reference.path.name}")
    console.print(f"{reference.path.name}: embedding once gives the diarizer's own turns ({len(whole)} turns)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speaker_count", description=__doc__)
    parser.add_argument("--device", default=BenchConfig.device, choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=BenchConfig.threads)
    parser.add_argument("--skip-tune", action="store_true", help="Score with the thresholds in diarize.clustering.")
    parser.add_argument("--cache", type=Path, help="Folder keeping each recording's embeddings between runs.")
    parser.add_argument(
        "--embed-only",
        choices=("tune", "score"),
        help="Only fill --cache for that part (and check it), then stop; workers skip recordings another has claimed.",
    )
    parser.add_argument("--reverse", action="store_true", help="With --embed-only: last recording first.")
    args = parser.parse_args()
    prepare_environment()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    console = Console(width=200)
    with tempfile.TemporaryDirectory(prefix="callintel-speaker-count-") as home:
        config = BenchConfig(device=args.device, threads=args.threads)
        diarizer = config.runtime(Path(home)).engines.diarizer
        assert isinstance(diarizer, PyannoteDiarizer)
        folder = Path(home) / "mixtures"
        if args.embed_only:
            recordings = [b.samples for b in build_all(folder, args.embed_only)]
            if args.embed_only == "score":
                recordings += [samples for _, scenario, samples, _, _ in _score_set(folder) if scenario == "reference"]
            for samples in reversed(recordings) if args.reverse else recordings:
                claim = args.cache / f"{hashlib.sha256(samples.tobytes()).hexdigest()[:16]}.claim"
                if claim.exists():
                    continue
                claim.touch()
                embed(diarizer.pipeline, samples, args.cache)
                console.print(f"embedded {samples.size / SAMPLE_RATE:.0f} s")
            _same_as_the_pipeline(diarizer, console)
            return
        clustering = _clustering(diarizer)
        if not args.skip_tune:
            tune(diarizer, folder, console, args.cache)
        console.print(
            f"thresholds: extra {clustering.extra_min_embeddings} embeddings, distance {clustering.extra_min_distance};"
            f" split {clustering.split_min_embeddings} embeddings, distance {clustering.split_min_distance}"
        )
        score(diarizer, folder, console, args.cache)


if __name__ == "__main__":
    main()
