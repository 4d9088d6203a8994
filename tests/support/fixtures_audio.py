"""Shared helpers for the transcribe tests: real recordings re-encoded into telephony formats, text normalising."""

import re
from pathlib import Path

import av
import numpy as np

DATA = Path(__file__).parents[1] / "data"
MONO_WAV = DATA / "pyannote_sample.wav"
STEREO_WAV = DATA / "fw_stereo_diarization.wav"
AWS_CALL = Path(__file__).parents[2] / "pipeline" / "samples" / "aws_pca_call_8k_mono.wav"
RUSSIAN_WAV = DATA / "pisets_test_sound_ru.wav"
RUSSIAN_FLAC = DATA / "silero_vad_ru_60s.flac"


def read_pcm16(path: Path) -> np.ndarray:
    """A 16-bit PCM WAV's samples as float32 (channels, n), read without the code under test."""
    with av.open(str(path)) as container:
        channels = container.streams.audio[0].codec_context.channels
        rows = [frame.to_ndarray() for frame in container.decode(audio=0)]
    interleaved = np.concatenate(rows, axis=1).astype(np.float32) / 32768.0
    return interleaved.reshape(-1, channels).T.copy()


def encode(
    samples: np.ndarray,
    path: Path,
    codec: str,
    *,
    rate: int,
    source_rate: int = 16000,
    container: str | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Write float samples (channels, n) at source_rate to path with an FFmpeg encoder, through PyAV."""
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout=layout, options=options or {})
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples, dtype=np.float32), format="fltp", layout=layout
        )
        frame.sample_rate = source_rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return path


def best_correlation(reference: np.ndarray, decoded: np.ndarray, max_lag: int = 1600) -> tuple[float, int]:
    """The highest normalised correlation of two signals over lags up to max_lag samples, and that lag."""
    n = min(len(reference), len(decoded))
    a = reference[:n].astype(np.float64)
    b = decoded[:n].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    cross = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lags = np.concatenate([np.arange(0, max_lag + 1), np.arange(-max_lag, 0)])
    values = np.concatenate([cross[: max_lag + 1], cross[-max_lag:]])
    best = int(np.argmax(values))
    return float(values[best] / (np.linalg.norm(a) * np.linalg.norm(b))), int(lags[best])


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what WER is measured on."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())
