"""Whisper's log-Mel spectrogram with memory bounded by a block of frames rather than the length of the call."""

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

BLOCK_FRAMES = 3000
"""STFT frames per block: 30 s of audio, Whisper's own window. A block's temporaries take under 20 MB."""


class BlockFeatureExtractor(FeatureExtractor):
    """faster-whisper's `FeatureExtractor` with the STFT computed a block of frames at a time: the same numbers.

    faster-whisper takes the features of all the speech in a call at once, and the stock extractor holds the windowed
    frames, the complex spectrum and a copy of it for every frame together: about 50 MB per minute of speech, the
    peak of the transcribe stage on long calls. STFT frames are independent, so they are windowed and transformed a
    block at a time with the same numpy operations. The power spectrum (5 MB per minute) and the log-Mel spectrogram
    (2 MB per minute) stay whole: BLAS splits a matrix product by its width, so a product per block would round
    differently, and the final clamp to (maximum - 8) needs the whole spectrogram. Inputs of one block or less take
    the stock path.
    """

    def __call__(self, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None) -> np.ndarray:
        frames_total = 1 + (waveform.shape[-1] + padding) // self.hop_length
        if waveform.ndim != 1 or frames_total - 1 <= BLOCK_FRAMES:
            return super().__call__(waveform, padding=padding, chunk_length=chunk_length)
        if chunk_length is not None:
            self.n_samples = chunk_length * self.sampling_rate
            self.nb_max_frames = self.n_samples // self.hop_length
        waveform = np.asarray(waveform, dtype=np.float32)
        if padding:
            waveform = np.pad(waveform, (0, padding))
        half = self.n_fft // 2
        padded = np.pad(waveform, (half, half), mode="reflect")
        del waveform
        frames = np.lib.stride_tricks.sliding_window_view(padded, self.n_fft)[:: self.hop_length]
        window = np.hanning(self.n_fft + 1)[:-1].astype("float32")
        # The stock extractor drops the last STFT frame.
        kept = frames.shape[0] - 1
        # Laid out as the stock extractor's (frame-major, used transposed), so BLAS is handed the same product.
        magnitudes = np.empty((kept, self.n_fft // 2 + 1), dtype=np.float32)
        for start in range(0, kept, BLOCK_FRAMES):
            stop = min(start + BLOCK_FRAMES, kept)
            # complex64 as in the stock extractor: numpy 1.x's FFT returns complex128.
            spectrum = np.fft.rfft(frames[start:stop] * window, n=self.n_fft, axis=-1).astype("complex64")
            magnitudes[start:stop] = np.abs(spectrum) ** 2
        del padded, frames
        log_spec = self.mel_filters @ magnitudes.T
        del magnitudes
        np.clip(log_spec, a_min=1e-10, a_max=None, out=log_spec)
        np.log10(log_spec, out=log_spec)
        np.maximum(log_spec, log_spec.max() - 8.0, out=log_spec)
        log_spec += 4.0
        log_spec /= 4.0
        return log_spec
