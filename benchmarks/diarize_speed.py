"""`python -m benchmarks.diarize_speed`: the starter diarizer with batched CAM++ embeddings against one row at a time.

pyannote asks the embedding for one vector per (10-s chunk, local speaker) row. The product runs all rows whose
kept frames are equally many through CAM++ as one batch; the comparison path here runs one forward pass per row, on
the same features. Both run in one process on the same recordings, alternating, best of `--runs`: the pyannote
sample and the AMI excerpt (DER at collar 0, overlap scored, with the product's 1-2 speaker hint) and the bundled
AWS call (speakers found). Then the two paths' embeddings are compared on the real batches pyannote sent.
"""

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from pyannote.core import Segment, Timeline
from rich.console import Console
from rich.table import Table

from benchmarks.config import BenchConfig, prepare_environment
from benchmarks.recordings import AWS_SAMPLE
from benchmarks.speech_refs import turn_references
from benchmarks.speech_scores import diarisation_errors
from benchmarks.speech_systems import annotation
from diarize.campplus import CampPlusEmbedding
from transcribe.audio import SAMPLE_RATE, decode

HINT = {"min_speakers": 1, "max_speakers": 2}
RECORDED_BATCHES = 6


class OneRowAtATime:
    """The embedding as computed before batching: one CAM++ forward pass per (chunk, speaker) row."""

    def __init__(self, batched: CampPlusEmbedding) -> None:
        self.batched = batched

    def __getattr__(self, name: str) -> object:
        return getattr(self.batched, name)

    @torch.inference_mode()
    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor | None = None) -> np.ndarray:
        embeddings = np.full((waveforms.shape[0], self.batched.dimension), np.nan, dtype=np.float32)
        if waveforms.shape[-1] < self.batched.min_num_samples:
            return embeddings
        for index, kept in self.batched._kept_features(waveforms, masks):
            if kept.shape[0] >= self.batched.min_num_frames:
                kept = kept - kept.mean(dim=0, keepdim=True)
                embeddings[index] = self.batched.model(kept.unsqueeze(0))[0].float().cpu().numpy()
        return embeddings


class Recorder:
    """The batched embedding, keeping the first few batches pyannote sends for the comparison of embeddings."""

    def __init__(self, batched: CampPlusEmbedding) -> None:
        self.batched = batched
        self.batches: list[tuple[torch.Tensor, torch.Tensor | None]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.batched, name)

    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor | None = None) -> np.ndarray:
        if len(self.batches) < RECORDED_BATCHES:
            self.batches.append((waveforms.clone(), None if masks is None else masks.clone()))
        return self.batched(waveforms, masks)


def _recordings() -> list[tuple[str, np.ndarray, object, Timeline | None]]:
    """(name, mono samples, reference turns or None, scored region)."""
    found = [(ref.path.name, decode(ref.path).samples.mean(axis=0), ref.turns, ref.uem) for ref in turn_references()]
    found.append((AWS_SAMPLE.name, decode(AWS_SAMPLE).samples.mean(axis=0), None, None))
    return found


def _score(turns: list[tuple[float, float, str]], reference, uem: Timeline | None, seconds: float) -> str:
    found = annotation(turns, reference.uri if reference is not None else "call")
    if reference is None:
        return f"{len(found.labels())} speakers"
    region = uem or Timeline([Segment(0.0, seconds)], uri=reference.uri)
    return f"{diarisation_errors(reference, found, region)['DER c0']:.1%}, {len(found.labels())} speakers"


def _embedding_differences(batched: CampPlusEmbedding, batches: list) -> tuple[int, float, float]:
    """(rows compared, max abs difference, lowest cosine similarity) between the two paths on the same batches."""
    old = np.concatenate([OneRowAtATime(batched)(waveforms, masks) for waveforms, masks in batches])
    new = np.concatenate([batched(waveforms, masks) for waveforms, masks in batches])
    if not np.array_equal(np.isnan(old), np.isnan(new)):
        raise AssertionError("the two paths disagree on which rows have too little speech for an embedding")
    rows = ~np.isnan(old).any(axis=1)
    old, new = old[rows], new[rows]
    cosine = (old * new).sum(axis=1) / np.linalg.norm(old, axis=1) / np.linalg.norm(new, axis=1)
    return int(rows.sum()), float(np.abs(old - new).max()), float(cosine.min())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diarize_speed", description=__doc__)
    parser.add_argument("--device", default=BenchConfig.device, choices=("cpu", "cuda"))
    parser.add_argument("--runs", type=int, default=1, help="runs of each path per recording; the best time counts")
    parser.add_argument("--embedding-batch-size", type=int, help="rows per embedding call (default: the product's)")
    parser.add_argument("--padded", action="store_true", help="one zero-padded pass per call (GPU default) on CPU too")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's, one per core)")
    args = parser.parse_args()
    prepare_environment()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    console = Console(width=160)
    table = Table("recording", "length s", "one row at a time", "batched", "time old s", "time new s", "new / old")
    with tempfile.TemporaryDirectory(prefix="callintel-diarize-speed-") as home:
        diarizer = BenchConfig(device=args.device).runtime(Path(home)).engines.diarizer
        pipeline = diarizer.pipeline
        if args.embedding_batch_size:
            pipeline.embedding_batch_size = args.embedding_batch_size
        batched: CampPlusEmbedding = pipeline._embedding
        if args.padded:
            batched.padded = True
        paths = {"old": OneRowAtATime(batched), "new": Recorder(batched)}
        diarizer.diarize(np.zeros(5 * SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
        for name, mono, reference, uem in _recordings():
            seconds = mono.size / SAMPLE_RATE
            best: dict[str, float] = {}
            scores: dict[str, str] = {}
            for _ in range(args.runs):
                for path, embedding in paths.items():
                    pipeline._embedding = embedding
                    start = time.perf_counter()
                    turns = diarizer.diarize(mono, SAMPLE_RATE, **HINT)
                    best[path] = min(best.get(path, float("inf")), time.perf_counter() - start)
                    scores[path] = _score(turns, reference, uem, seconds)
            pipeline._embedding = batched
            cells = (scores["old"], scores["new"], f"{best['old']:.1f}", f"{best['new']:.1f}")
            table.add_row(name, f"{seconds:.1f}", *cells, f"{best['new'] / best['old']:.2f}")
            console.print(f"{name}: {', '.join(cells)}")
        rows, largest, lowest = _embedding_differences(batched, paths["new"].batches)
    console.print(table)
    console.print(
        f"embeddings on {len(paths['new'].batches)} real batches ({rows} rows): max abs difference {largest:.2e}, "
        f"lowest cosine similarity {lowest:.6f}; embedding batch size {pipeline.embedding_batch_size}, "
        f"padded {batched.padded}, {args.device}, {torch.get_num_threads()} threads"
    )


if __name__ == "__main__":
    main()
