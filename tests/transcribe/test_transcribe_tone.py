"""The T-one backend's loading, streaming and decoding code on a small streaming CTC graph with random weights,
exported to ONNX with T-one's inputs and outputs (int32 `signal` batch × 2400 × 1 and a float16 `state` in; float16
`logprobs` batch × 10 × 35 and `state_next` out), run on real recordings. This checks shapes, resampling to 8 kHz,
state handling, batching and timing, not accuracy."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.support.fixtures_audio import AWS_CALL, RUSSIAN_FLAC
from tests.support.tone_graph import CHUNK, CLASSES, FRAMES, HIDDEN, StreamingCTC, export_graph
from transcribe import SAMPLE_RATE, DecodedAudio, decode, transcribe_call
from transcribe.errors import LanguageNotRecognised, RecogniserNotLoaded
from transcribe.recognisers import open_russian_recogniser
from transcribe.tone import LABELS, ToneBackend, _to_8k_int


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StreamingCTC]:
    folder = tmp_path_factory.mktemp("tone")
    return folder, export_graph(folder)


@pytest.fixture(scope="module")
def backend(graph: tuple[Path, StreamingCTC]) -> ToneBackend:
    return ToneBackend(graph[0], batch_size=4)


def test_the_graph_loads_and_its_chunk_and_state_sizes_are_read_from_it(graph, backend: ToneBackend) -> None:
    assert (backend.chunk, backend.state_size) == (CHUNK, HIDDEN)
    assert backend.name == str(graph[0] / "model.onnx") and backend.version.startswith("t-one onnx")
    assert backend.detect_language(np.zeros(SAMPLE_RATE, dtype=np.float32)) == ("ru", 1.0)


def test_the_state_is_carried_from_chunk_to_chunk(graph, backend: ToneBackend) -> None:
    _, model = graph
    audio = _to_8k_int(decode(RUSSIAN_FLAC).samples[0][: 3 * SAMPLE_RATE])[None, : 4 * CHUNK]
    streamed = backend.stream(audio)
    assert streamed.shape == (1, 4 * FRAMES, CLASSES) and streamed.dtype == np.float32
    state = torch.zeros(1, HIDDEN, dtype=torch.float16)
    expected = []
    with torch.no_grad():
        for start in range(0, audio.shape[1], CHUNK):
            log_probs, state = model(torch.from_numpy(audio[:, start : start + CHUNK, None]), state)
            expected.append(log_probs.float())
    np.testing.assert_allclose(streamed, torch.cat(expected, 1).numpy(), atol=2e-2)
    fresh = backend.stream(audio[:, 2 * CHUNK : 3 * CHUNK])
    assert not np.allclose(fresh, streamed[:, 2 * FRAMES : 3 * FRAMES], atol=2e-2)


def test_16_khz_calls_are_resampled_to_8_khz() -> None:
    seconds = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)
    low = _to_8k_int(tone)
    assert low.size == 8000 and low.dtype == np.int32
    assert np.argmax(np.abs(np.fft.rfft(low))) == 440  # one bin per Hz over one second
    assert 16000 < np.abs(low).max() <= 32767


def test_an_8_khz_call_is_recognised_with_words_timed_within_it(backend: ToneBackend) -> None:
    call = decode(AWS_CALL)  # a real 8-kHz telephone call, decoded to 16 kHz; its first minute
    samples = call.samples[:, : 60 * SAMPLE_RATE]
    audio = DecodedAudio(
        samples=samples, info=call.info.model_copy(update={"duration_s": samples.shape[1] / SAMPLE_RATE})
    )
    transcript = transcribe_call(audio, backend)
    words = transcript.words
    assert transcript.language == "ru" and len(words) > 20
    assert all(0 <= w.start <= w.end <= audio.duration_s and w.text == w.text.strip() for w in words)
    assert all(set(w.text) <= set(LABELS) | set("0123456789") for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert words[-1].end > audio.duration_s / 2


def test_segments_streamed_side_by_side_match_segments_streamed_alone(graph, backend: ToneBackend) -> None:
    samples = decode(RUSSIAN_FLAC).samples[0][: 25 * SAMPLE_RATE]
    alone = ToneBackend(graph[0], batch_size=1)
    batched = backend.transcribe(samples, language="ru", channel=1)
    single = alone.transcribe(samples, language="ru", channel=1)
    assert [(w.text, round(w.start, 2)) for w in batched.words] == [(w.text, round(w.start, 2)) for w in single.words]
    assert batched.words and {w.channel for w in batched.words} == {1}


def test_missing_or_foreign_models_and_other_languages_are_refused_by_name(tmp_path: Path, backend) -> None:
    with pytest.raises(RecogniserNotLoaded, match=r"model\.onnx: no such file"):
        ToneBackend(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(RecogniserNotLoaded, match="onnxruntime cannot load it"):
        ToneBackend(tmp_path / "model.onnx")
    with pytest.raises(LanguageNotRecognised, match="T-one recognises Russian only"):
        backend.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), language="en", channel=0)


def test_the_factory_opens_tone_by_name(graph) -> None:
    opened = open_russian_recogniser("tone", graph[0], device="cpu", batch_size=3, vad_threshold=None, cpu_threads=1)
    assert isinstance(opened, ToneBackend) and opened.batch_size == 3
