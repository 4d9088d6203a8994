"""GigaAM (Sber's Russian Conformer models, v2 and v3, CTC or RNN-T) as a speech-recognition backend.

The published checkpoints (`v3_ctc.ckpt`, `v3_rnnt.ckpt`, `v3_e2e_ctc.ckpt`, ... from GigaAM's CDN) are PyTorch pickles
holding the model's config (`cfg`, an OmegaConf object) and its weights (`state_dict`); `gigaam_model.py` rebuilds
the network they describe. Character models carry their alphabet in the config; SentencePiece models (`e2e`) need
the tokenizer published beside the checkpoint, `<checkpoint name>_tokenizer.model`. A call is cut into speech
segments of at most 22 s (as GigaAM's own long-form mode does), encoded in batches, decoded greedily, and each word
is timed from the frames its tokens were emitted at (the CTC alignment, or the RNN-T emission frames): one encoder
frame is the segment's duration divided by its frame count (40 ms).
"""

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models import Word
from transcribe.audio import SAMPLE_RATE
from transcribe.backend import ChannelTranscript
from transcribe.ctc import greedy_runs, timed_words
from transcribe.errors import RecogniserNotLoaded, russian_only
from transcribe.gigaam_model import GigaAMASR
from transcribe.gigaam_rnnt import RNNTHead, rnnt_greedy
from transcribe.numerals import numbers_in_digits
from transcribe.speech import Segment, batches, channel_words, speech_segments

logger = logging.getLogger(__name__)

SEGMENT_S = 22.0


class GigaAMBackend:
    """A GigaAM checkpoint recognising Russian speech; see the module's description."""

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        device: str = "cpu",
        batch_size: int = 8,
        vad_threshold: float | None = 0.5,
        release_memory: Callable[[], None] | None = None,
    ) -> None:
        path = Path(checkpoint).expanduser()
        cfg, state = _read_checkpoint(path)
        self.pieces, self.blank = _vocabulary(cfg, path)
        try:
            model = GigaAMASR(cfg)
            model.load_state_dict(state)
        except (KeyError, ValueError, RuntimeError) as exc:
            raise RecogniserNotLoaded(path, f"not a GigaAM checkpoint this version reads ({exc})") from exc
        if model.classes != self.blank + 1:
            raise RecogniserNotLoaded(
                path, f"its head has {model.classes} classes, its vocabulary {self.blank} tokens and a blank"
            )
        self._model = model.eval().to(device)
        self._device = torch.device(device)
        self.batch_size = batch_size
        self.vad_threshold = vad_threshold
        self._release_memory = release_memory
        self.name = str(path)
        self.version = f"gigaam {cfg.get('model_name') or path.stem} (torch {torch.__version__})"
        logger.info("loaded GigaAM model %s on %s (batch size %d)", self.name, device, batch_size)

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        return "ru", 1.0

    def transcribe(
        self, samples: np.ndarray, *, language: str | None, channel: int, vocabulary: Sequence[str] = ()
    ) -> ChannelTranscript:
        russian_only("GigaAM", language)
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        segments = speech_segments(samples, max_s=SEGMENT_S, vad_threshold=self.vad_threshold)
        words = []
        for batch in batches(segments, self.batch_size):
            words.extend(self._recognise(samples, batch, channel))
        logger.info(
            "GigaAM recognised %d words in %d speech segments on channel %d", len(words), len(segments), channel
        )
        if self._release_memory is not None:
            self._release_memory()
        return ChannelTranscript(language="ru", language_probability=1.0, words=numbers_in_digits(words))

    @torch.inference_mode()
    def _recognise(self, samples: np.ndarray, segments: Sequence[Segment], channel: int) -> list[Word]:
        lengths = torch.tensor([segment.end - segment.start for segment in segments])
        signal = torch.zeros(len(segments), int(lengths.max()))
        for row, segment in enumerate(segments):
            signal[row, : lengths[row]] = torch.from_numpy(samples[segment.start : segment.end])
        signal, lengths = signal.to(self._device), lengths.to(self._device)
        with torch.autocast(self._device.type, dtype=torch.float16, enabled=self._device.type == "cuda"):
            encoded, frames = self._model(signal, lengths)
        head = self._model.head
        counts = [int(count) for count in frames]
        if isinstance(head, RNNTHead):
            item_runs = [rnnt_greedy(head, encoded[row, :, :count].float()) for row, count in enumerate(counts)]
        else:
            log_probs = head(encoded).float().cpu().numpy()
            item_runs = [greedy_runs(log_probs[row, :count], self.blank) for row, count in enumerate(counts)]
        words = []
        for segment, runs, count in zip(segments, item_runs, counts, strict=True):
            frame_s = (segment.end - segment.start) / SAMPLE_RATE / max(count, 1)
            timed = timed_words(runs, self.pieces, frame_s, segment.start_s)
            words.extend(channel_words(timed, segment, channel))
        return words


def _read_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    if not path.is_file():
        raise RecogniserNotLoaded(path, "no such file (download v3_ctc.ckpt or v3_rnnt.ckpt from GigaAM's releases)")
    from omegaconf import DictConfig, OmegaConf

    try:
        # The checkpoint pickles its config object; the path is the operator's own setting, not uploaded data.
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise RecogniserNotLoaded(path, f"cannot be read as a PyTorch checkpoint ({exc})") from exc
    if not isinstance(checkpoint, dict) or "cfg" not in checkpoint or "state_dict" not in checkpoint:
        raise RecogniserNotLoaded(path, "not a GigaAM checkpoint: it needs 'cfg' and 'state_dict'")
    cfg = checkpoint["cfg"]
    plain = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    return dict(plain), checkpoint["state_dict"]  # type: ignore[arg-type]


def _vocabulary(cfg: dict[str, Any], path: Path) -> tuple[list[str], int]:
    """Each token's text and the blank's id (the last class, after the tokens)."""
    tokenizer = path.with_name(f"{path.stem}_tokenizer.model")
    if tokenizer.is_file():
        from sentencepiece import SentencePieceProcessor

        model = SentencePieceProcessor()
        model.Load(str(tokenizer))
        pieces = [model.IdToPiece(i) for i in range(model.GetPieceSize())]
        return pieces, len(pieces)
    vocabulary = (cfg.get("decoding") or {}).get("vocabulary")
    if not vocabulary:
        raise RecogniserNotLoaded(path, f"its config has no alphabet and {tokenizer.name} is not beside it")
    return [str(token) for token in vocabulary], len(vocabulary)
