"""The GigaAM backend's loading and decoding code on a small GigaAM-architecture model with random weights, saved in
the published checkpoint layout ({'cfg': OmegaConf config, 'state_dict': weights}), run on real Russian recordings.
This checks shapes, segmenting, batching and timing, not accuracy."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from tests.support.fixtures_audio import RUSSIAN_FLAC, RUSSIAN_WAV
from transcribe import SAMPLE_RATE, decode, transcribe_call
from transcribe.errors import LanguageNotRecognised, RecogniserNotLoaded
from transcribe.gigaam import GigaAMBackend
from transcribe.gigaam_model import GigaAMASR
from transcribe.recognisers import open_russian_recogniser

# GigaAM v2/v3's character alphabet: a space and the 33 Russian letters; the blank is class 34.
ALPHABET = [" ", *"абвгдеёжзийклмнопрстуфхцчшщъыьэюя"]


def _config(attention: str = "rotary") -> dict:
    # v3_ctc's layout at a fraction of its size (16 layers of 768 there).
    return {
        "model_name": "v3_ctc",
        "sample_rate": 16000,
        "preprocessor": {"_target_": "gigaam.preprocess.FeatureExtractor", "sample_rate": 16000, "features": 64},
        "encoder": {
            "_target_": "gigaam.encoder.ConformerEncoder",
            "feat_in": 64,
            "n_layers": 2,
            "d_model": 32,
            "subsampling": "conv1d",
            "subs_kernel_size": 5,
            "subsampling_factor": 4,
            "ff_expansion_factor": 2,
            "self_attention_model": attention,
            "n_heads": 4,
            "pos_emb_max_len": 5000,
            "conv_norm_type": "layer_norm",
            "conv_kernel_size": 5,
            "flash_attn": False,
        },
        "head": {"_target_": "gigaam.decoder.CTCHead", "feat_in": 32, "num_classes": len(ALPHABET) + 1},
        "decoding": {"_target_": "gigaam.decoding.CTCGreedyDecoding", "vocabulary": ALPHABET},
    }


def _spread_classes(model: GigaAMASR) -> None:
    """Random weights favour a few classes everywhere; centring the head's outputs on real speech spreads them, and a
    space on about one frame in six gives words of a few letters, as speech has."""
    samples = torch.from_numpy(decode(RUSSIAN_FLAC).samples[0][: 20 * SAMPLE_RATE])[None]
    conv = model.head.decoder_layers[0]
    with torch.no_grad():
        features, lengths = model.preprocessor(samples, torch.tensor([samples.shape[1]]))
        logits = conv(model.encoder(features, lengths)[0])[0].T
        conv.bias -= logits.mean(0)
        logits -= logits.mean(0)
        margin = logits[:, 0] - logits[:, 1:].max(1).values
        conv.bias[0] -= torch.quantile(margin, 5 / 6)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(20)
    cfg = _config()
    model = GigaAMASR(cfg)
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    _spread_classes(model)
    path = tmp_path_factory.mktemp("gigaam") / "v3_ctc.ckpt"
    torch.save({"cfg": OmegaConf.create(cfg), "state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="module")
def backend(checkpoint: Path) -> GigaAMBackend:
    return GigaAMBackend(checkpoint, batch_size=4)


def test_the_checkpoint_loads_with_its_weights_and_alphabet(checkpoint: Path, backend: GigaAMBackend) -> None:
    saved = torch.load(checkpoint, weights_only=False)["state_dict"]
    loaded = backend._model.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[key], loaded[key]) for key in saved)
    assert backend.pieces == ALPHABET and backend.blank == 34
    assert backend.name == str(checkpoint) and backend.version.startswith("gigaam v3_ctc")
    assert backend.detect_language(np.zeros(SAMPLE_RATE, dtype=np.float32)) == ("ru", 1.0)


def test_one_encoder_frame_is_40_ms_of_16_khz_audio(backend: GigaAMBackend) -> None:
    samples = decode(RUSSIAN_WAV).samples[0]
    with torch.inference_mode():
        encoded, frames = backend._model(torch.from_numpy(samples)[None], torch.tensor([samples.size]))
        log_probs = backend._model.head(encoded)
    assert log_probs.shape == (1, int(frames[0]), 35)
    assert int(frames[0]) == pytest.approx(samples.size / SAMPLE_RATE / 0.04, abs=2)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(1, int(frames[0])), atol=1e-4)


def test_a_long_call_is_recognised_segment_by_segment_with_words_timed_within_it(backend: GigaAMBackend) -> None:
    audio = decode(RUSSIAN_FLAC)
    duration = audio.duration_s
    transcript = transcribe_call(audio, backend, language="ru")
    words = transcript.words
    assert transcript.language == "ru" and len(words) > 20
    assert all(0 <= w.start <= w.end <= duration and w.text == w.text.strip() and w.channel == 0 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert all(0 <= w.probability <= 1 for w in words)
    # Words come from all over the minute of speech, not only its first segment.
    assert words[0].start < 10 and words[-1].end > duration - 15


def test_batching_segments_gives_the_same_words_as_one_at_a_time(checkpoint: Path, backend: GigaAMBackend) -> None:
    samples = decode(RUSSIAN_FLAC).samples[0][: 30 * SAMPLE_RATE]
    alone = GigaAMBackend(checkpoint, batch_size=1)
    batched = backend.transcribe(samples, language=None, channel=1, vocabulary=["Сбер"])
    single = alone.transcribe(samples, language=None, channel=1)
    assert [w.start for w in batched.words] == pytest.approx([w.start for w in single.words], abs=0.041)
    assert len(batched.words) == pytest.approx(len(single.words), rel=0.1)
    assert {w.channel for w in batched.words} == {1}


def test_bad_checkpoints_and_other_languages_are_refused_by_name(tmp_path: Path, backend: GigaAMBackend) -> None:
    with pytest.raises(RecogniserNotLoaded, match="no such file"):
        GigaAMBackend(tmp_path / "v3_ctc.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(RecogniserNotLoaded, match=r"junk\.ckpt: cannot be read"):
        GigaAMBackend(tmp_path / "junk.ckpt")
    v1 = _config("rel_pos")
    torch.save({"cfg": OmegaConf.create(v1), "state_dict": {}}, tmp_path / "v1_ctc.ckpt")
    with pytest.raises(RecogniserNotLoaded, match="v1"):
        GigaAMBackend(tmp_path / "v1_ctc.ckpt")
    with pytest.raises(LanguageNotRecognised, match=r"Russian only.*'en'"):
        backend.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), language="en", channel=0)


def test_the_factory_opens_gigaam_by_name(checkpoint: Path) -> None:
    opened = open_russian_recogniser("gigaam", checkpoint, device="cpu", batch_size=2, vad_threshold=0.5)
    assert isinstance(opened, GigaAMBackend) and opened.batch_size == 2
    with pytest.raises(ValueError, match="unknown Russian recogniser 'kaldi'"):
        open_russian_recogniser("kaldi", checkpoint, device="cpu", batch_size=2, vad_threshold=0.5)


def test_an_rnnt_checkpoint_decodes_with_each_token_at_its_emission_frame(tmp_path: Path) -> None:
    torch.manual_seed(3)
    cfg = _config()
    classes = len(ALPHABET) + 1
    cfg["head"] = {
        "_target_": "gigaam.decoder.RNNTHead",
        "decoder": {"pred_hidden": 16, "pred_rnn_layers": 1, "num_classes": classes},
        "joint": {"enc_hidden": 32, "pred_hidden": 16, "joint_hidden": 24, "num_classes": classes},
    }
    cfg["decoding"] = {"_target_": "gigaam.decoding.RNNTGreedyDecoding", "vocabulary": ALPHABET}
    model = GigaAMASR(cfg)
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    samples = decode(RUSSIAN_WAV).samples[0][:SAMPLE_RATE]
    joint = model.head.joint
    with torch.no_grad():
        # Mostly blanks, as in speech: the blank wins on four frames in five before any token is emitted.
        encoded, _ = model(torch.from_numpy(samples)[None], torch.tensor([samples.size]))
        prediction, _ = model.head.decoder.predict(None, None)
        log_probs = joint.joint(encoded.transpose(1, 2), prediction)[0, :, 0]
        margin = log_probs[:, -1] - log_probs[:, :-1].max(-1).values
        joint.joint_net[1].bias[-1] -= torch.quantile(margin, 1 / 5)
    path = tmp_path / "v3_rnnt.ckpt"
    torch.save({"cfg": OmegaConf.create(cfg), "state_dict": model.state_dict()}, path)

    backend = GigaAMBackend(path, batch_size=2, vad_threshold=None)
    words = backend.transcribe(samples, language="ru", channel=0).words
    duration = samples.size / SAMPLE_RATE
    assert words and all(0 <= w.start <= w.end <= duration and w.text for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert all(0 < w.probability <= 1 for w in words)
