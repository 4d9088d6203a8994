"""The two sides of every comparison: the product's speech stages, and the plain tools run as documented.

Ours: `transcribe.core.transcribe_call` with the pipeline's recogniser (stereo calls on the mix or per channel, as
asked; word times; the product's decoding settings) and `diarize.split_speakers` with the pipeline's diarizer (1 to 2
speakers on a mono call). Plain faster-whisper: `WhisperModel(same files, device, compute type, threads)
.transcribe(audio, beam_size=5, vad_filter=True)`. Plain pyannote: the starter models in the configuration
`../shared/notes/offline-models.md` documents (segmentation-3.0 + CAM++, no PLDA, centroid agglomerative clustering
at threshold 0.7, min_cluster_size 12, no bound on the number of speakers).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from pyannote.audio import Model
from pyannote.core import Annotation, Segment

from diarize import split_speakers
from diarize.campplus import CampPlusEmbedding
from diarize.pyannote_diarizer import PyannoteDiarizer, StarterSpeakerDiarization
from models import CallDirection, Conversation, Transcript
from pipeline import models_cache
from pipeline.runtime import Runtime
from transcribe.audio import SAMPLE_RATE, DecodedAudio
from transcribe.core import StereoRecognition, transcribe_call

PLAIN_THRESHOLD = 0.7
PLAIN_MIN_CLUSTER_SIZE = 12


@dataclass(frozen=True)
class Segmented:
    """Plain faster-whisper's output: segments with times and text."""

    segments: list[tuple[float, float, str]]

    @property
    def text(self) -> str:
        return " ".join(text for _, _, text in self.segments)


def plain_whisper(runtime: Runtime, device: str, compute_type: str, threads: int) -> WhisperModel:
    return WhisperModel(runtime.engines.asr.name, device=device, compute_type=compute_type, cpu_threads=threads)


def plain_pyannote(device: str) -> PyannoteDiarizer:
    import torch

    segmentation = Model.from_pretrained(models_cache.starter_segmentation_dir())
    embedding = CampPlusEmbedding(models_cache.starter_embedding_checkpoint())
    pipeline = StarterSpeakerDiarization(segmentation, embedding)
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {
                "method": "centroid",
                "threshold": PLAIN_THRESHOLD,
                "min_cluster_size": PLAIN_MIN_CLUSTER_SIZE,
            },
        }
    )
    pipeline.to(torch.device(device))
    return PyannoteDiarizer(pipeline, name="plain pyannote", version="offline-models.md configuration")


def run_plain(model: WhisperModel, audio: np.ndarray | Path) -> Segmented:
    """faster-whisper's documented usage; the segments are a generator, so listing them runs the recognition."""
    source = str(audio) if isinstance(audio, Path) else np.ascontiguousarray(audio, dtype=np.float32)
    segments, _ = model.transcribe(source, beam_size=5, vad_filter=True)
    return Segmented([(s.start, s.end, s.text.strip()) for s in segments])


def run_ours(audio: DecodedAudio, runtime: Runtime, stereo: StereoRecognition = StereoRecognition.auto) -> Transcript:
    return transcribe_call(audio, runtime.engines.asr, stereo=stereo)


def downmix(audio: DecodedAudio) -> DecodedAudio:
    return DecodedAudio(samples=audio.samples.mean(axis=0, keepdims=True), info=audio.info)


def split(audio: DecodedAudio, transcript: Transcript, runtime: Runtime) -> Conversation:
    """The diarize stage: by channel for a per-channel transcript, else the pipeline's diarizer on the mix."""
    return split_speakers(
        audio.samples,
        SAMPLE_RATE,
        transcript,
        layout=None,
        direction=CallDirection.unknown,
        diarizer=runtime.engines.diarizer,
    )


def annotation(turns: list[tuple[float, float, str]], uri: str) -> Annotation:
    out = Annotation(uri=uri)
    for index, (start, end, speaker) in enumerate(turns):
        if end > start:
            out[Segment(start, end), index] = speaker
    return out


def attribute_segments(segmented: Segmented, turns: list[tuple[float, float, str]]) -> dict[str, str]:
    """Each plain segment goes whole to the speaker whose turns overlap it most: the usual way plain Whisper
    output and a diarisation are put together."""
    texts: dict[str, list[str]] = {}
    for start, end, text in segmented.segments:
        overlap: dict[str, float] = {}
        for t_start, t_end, speaker in turns:
            overlap[speaker] = overlap.get(speaker, 0.0) + max(0.0, min(end, t_end) - max(start, t_start))
        speaker = max(overlap, key=lambda s: overlap[s]) if overlap else "unknown"
        texts.setdefault(speaker, []).append(text)
    return {speaker: " ".join(parts) for speaker, parts in texts.items()}
