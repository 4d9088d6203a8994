"""`python -m benchmarks.clustering_memory`: memory of speaker clustering alone at call lengths up to 4 hours.

Clustering is the one step of diarization whose memory grows faster than the call (all pairwise distances of the
chunk embeddings). This measures it alone, in a fresh process per length and method, on as many embeddings as the
starter pipeline makes for a two-party call of that length (a 10-s chunk every second, 1.5 speakers active per
chunk on average, 192 dimensions): two voices, each embedding drawn around its voice's centroid (cosine similarity
about 0.9 to it).
Methods: pyannote's agglomerative clustering over all embeddings (before) and the phone-call clustering with its
bound on embeddings linked (`diarize.clustering`, now). Prints one JSON line per run.
"""

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from benchmarks.memory import PeakRSS, rss_mb

DIMENSION = 192
ACTIVE_PER_CHUNK = 1.5


def embeddings_for(minutes: float, seed: int = 19) -> np.ndarray:
    rng = np.random.default_rng(seed)
    count = int(minutes * 60 * ACTIVE_PER_CHUNK)
    centroids = rng.normal(size=(2, DIMENSION))
    who = rng.integers(0, 2, size=count)
    return (centroids[who] + rng.normal(scale=0.5, size=(count, DIMENSION))).astype(np.float32)


def _child(minutes: float, method: str) -> dict:
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    from diarize.clustering import PhoneCallClustering
    from diarize.pyannote_diarizer import CLUSTERING_METHOD, CLUSTERING_THRESHOLD, MIN_CLUSTER_SIZE

    embeddings = embeddings_for(minutes)
    clustering = AgglomerativeClustering() if method == "before" else PhoneCallClustering()
    clustering.instantiate(
        {"method": CLUSTERING_METHOD, "threshold": CLUSTERING_THRESHOLD, "min_cluster_size": MIN_CLUSTER_SIZE}
    )
    base = rss_mb()
    started = time.perf_counter()
    with PeakRSS() as peak:
        clusters = clustering.cluster(embeddings, min_clusters=1, max_clusters=2)
    return {
        "minutes": minutes,
        "method": method,
        "embeddings": len(embeddings),
        "clusters": int(clusters.max()) + 1,
        "peak_above_mb": round(peak.mb - base, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clustering_memory", description=__doc__)
    parser.add_argument("--minutes", default="60,120,240", help="Comma-separated call lengths.")
    parser.add_argument("--methods", default="now,before")
    parser.add_argument("--child", nargs=2, metavar=("MINUTES", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(float(args.child[0]), args.child[1])))
        return
    for minutes in args.minutes.split(","):
        for method in args.methods.split(","):
            command = [sys.executable, "-m", "benchmarks.clustering_memory", "--child", minutes, method]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            print(done.stdout.strip() or f"{minutes} min, {method}: failed\n{done.stderr[-2000:]}", flush=True)


if __name__ == "__main__":
    main()
