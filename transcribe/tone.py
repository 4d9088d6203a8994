"""T-one (T-Bank's streaming Russian telephony recogniser, Apache-2.0) as a speech-recognition backend.

The published model is one ONNX graph (`model.onnx` from the `t-tech/T-one` release) run with onnxruntime: it
reads 8 kHz audio as int16-range int32 samples, 300 ms at a time (input `signal`, batch × 2400 × 1), carries a
float16 state between chunks (input `state`, output `state_next`) and gives float16 log-probabilities over
T-one's 34 characters and a blank for each 30-ms frame (output `logprobs`). Calls arrive at 16 kHz and are
resampled to 8 kHz. As T-one's own offline pipeline does, each speech segment is padded with 300 ms of silence on
both sides and streamed from a fresh state; segments are streamed side by side as one batch. Decoding is greedy
CTC; the graph's frames lag the audio by 330 ms on average, which word times take off. T-one's optional KenLM
beam search is not used (its decoder libraries do not install cleanly here).
"""

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from scipy.signal import resample_poly

from models import Word
from transcribe.audio import SAMPLE_RATE
from transcribe.backend import ChannelTranscript
from transcribe.ctc import greedy_runs, timed_words
from transcribe.errors import RecogniserNotLoaded, russian_only
from transcribe.numerals import numbers_in_digits
from transcribe.speech import Segment, batches, channel_words, speech_segments

logger = logging.getLogger(__name__)

TONE_SAMPLE_RATE = 8000
LABELS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя "
"""T-one's characters in class order; the class after them is the blank."""
PADDING = 2400
"""Silence around each segment (300 ms at 8 kHz): the model was trained with it."""
MEAN_TIME_BIAS_S = 0.33
SEGMENT_S = 30.0


class ToneBackend:
    """The T-one ONNX model recognising Russian telephone speech; see the module's description."""

    def __init__(
        self,
        model: str | Path,
        *,
        batch_size: int = 8,
        vad_threshold: float | None = 0.5,
        cpu_threads: int = 0,
        device: str = "cpu",
        release_memory: Callable[[], None] | None = None,
    ) -> None:
        path = Path(model).expanduser()
        if path.is_dir():
            path = path / "model.onnx"
        if not path.is_file():
            raise RecogniserNotLoaded(path, "no such file (download model.onnx from the t-tech/T-one release)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = cpu_threads
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
        try:
            self._session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:
            raise RecogniserNotLoaded(path, f"onnxruntime cannot load it ({exc})") from exc
        inputs = {node.name: node for node in self._session.get_inputs()}
        if set(inputs) != {"signal", "state"}:
            raise RecogniserNotLoaded(path, f"not a T-one graph: inputs {sorted(inputs)}, expected signal and state")
        self.chunk = int(inputs["signal"].shape[1])
        self.state_size = int(inputs["state"].shape[1])
        self.batch_size = batch_size
        self.vad_threshold = vad_threshold
        self._release_memory = release_memory
        self.name = str(path)
        self.version = f"t-one onnx (onnxruntime {ort.__version__})"
        logger.info("loaded T-one model %s (chunk %d samples, state %d values)", self.name, self.chunk, self.state_size)

    def detect_language(self, samples: np.ndarray) -> tuple[str, float]:
        return "ru", 1.0

    def transcribe(
        self, samples: np.ndarray, *, language: str | None, channel: int, vocabulary: Sequence[str] = ()
    ) -> ChannelTranscript:
        russian_only("T-one", language)
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        segments = speech_segments(samples, max_s=SEGMENT_S, vad_threshold=self.vad_threshold)
        words: list[Word] = []
        for batch in batches(segments, self.batch_size):
            words.extend(self._recognise(samples, batch, channel))
        logger.info("T-one recognised %d words in %d speech segments on channel %d", len(words), len(segments), channel)
        if self._release_memory is not None:
            self._release_memory()
        return ChannelTranscript(language="ru", language_probability=1.0, words=numbers_in_digits(words))

    def stream(self, audio: np.ndarray) -> np.ndarray:
        """Frame log-probabilities (batch × frames × classes, float32) of 8 kHz int32 audio (batch × samples, a
        whole number of chunks), streamed chunk by chunk from a fresh state."""
        rows, length = audio.shape
        state = np.zeros((rows, self.state_size), dtype=np.float16)
        out = []
        for start in range(0, length, self.chunk):
            signal = np.ascontiguousarray(audio[:, start : start + self.chunk, None])
            log_probs, state = self._session.run(["logprobs", "state_next"], {"signal": signal, "state": state})
            out.append(log_probs.astype(np.float32))
        return np.concatenate(out, axis=1)

    def _recognise(self, samples: np.ndarray, segments: Sequence[Segment], channel: int) -> list[Word]:
        pieces = [_to_8k_int(samples[segment.start : segment.end]) for segment in segments]
        padded = [PADDING + piece.size + PADDING for piece in pieces]
        chunks = [-(-size // self.chunk) for size in padded]
        audio = np.zeros((len(pieces), max(chunks) * self.chunk), dtype=np.int32)
        for row, piece in enumerate(pieces):
            audio[row, PADDING : PADDING + piece.size] = piece
        log_probs = self.stream(audio)
        frames_per_chunk = log_probs.shape[1] // max(chunks)
        frame_s = self.chunk / frames_per_chunk / TONE_SAMPLE_RATE
        blank = len(LABELS)
        words: list[Word] = []
        for row, segment in enumerate(segments):
            runs = greedy_runs(log_probs[row, : chunks[row] * frames_per_chunk], blank)
            offset = segment.start_s - MEAN_TIME_BIAS_S - PADDING / TONE_SAMPLE_RATE
            timed = timed_words(runs, [*LABELS, ""], frame_s, offset)
            words.extend(channel_words(timed, segment, channel))
        return words


def _to_8k_int(samples: np.ndarray) -> np.ndarray:
    """16-kHz float samples in [-1, 1] → 8-kHz int16-range int32, as T-one reads them."""
    low = resample_poly(samples, TONE_SAMPLE_RATE, SAMPLE_RATE)
    return np.clip(np.round(low * 32768.0), -32768, 32767).astype(np.int32)
