"""The block-wise log-Mel spectrogram gives exactly faster-whisper's own features."""

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from transcribe.features import BLOCK_FRAMES, BlockFeatureExtractor

HOP = 160


@pytest.mark.parametrize(
    "num_samples",
    [
        400,
        16000,
        BLOCK_FRAMES * HOP - 1,
        BLOCK_FRAMES * HOP,
        BLOCK_FRAMES * HOP + 1,
        2 * BLOCK_FRAMES * HOP + 7,
        16000 * 200,
    ],
)
@pytest.mark.parametrize("padding", [160, 0])
def test_block_features_equal_the_stock_features(num_samples, padding):
    waveform = (np.random.default_rng(num_samples).standard_normal(num_samples) * 0.1).astype(np.float32)
    stock, block = FeatureExtractor(), BlockFeatureExtractor()
    expected = stock(waveform, padding=padding, chunk_length=30)
    found = block(waveform, padding=padding, chunk_length=30)
    assert found.dtype == expected.dtype and found.shape == expected.shape
    assert np.array_equal(found, expected)
    assert (block.n_samples, block.nb_max_frames) == (stock.n_samples, stock.nb_max_frames)
