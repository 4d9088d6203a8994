"""Decoding real recordings in every telephony format into 16 kHz channels, and refusing what is not audio."""

import hashlib
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from tests.support.fixtures_audio import AWS_CALL, MONO_WAV, STEREO_WAV, best_correlation, encode, read_pcm16
from transcribe.audio import SAMPLE_RATE, AudioError, decode

# (file name, codec, encoder sample rate, container, encoder options, expected codec name)
MONO_FORMATS = [
    ("call_mulaw_8k.wav", "pcm_mulaw", 8000, None, None, "pcm_mulaw"),
    ("call_alaw_8k.wav", "pcm_alaw", 8000, None, None, "pcm_alaw"),
    ("call_u8_8k.wav", "pcm_u8", 8000, None, None, "pcm_u8"),
    ("call_16k.wav", "pcm_s16le", 16000, None, None, "pcm_s16le"),
    ("call_44k.mp3", "libmp3lame", 44100, None, None, "mp3"),
    ("call_48k.opus", "libopus", 48000, "ogg", None, "opus"),
    ("call_22k.m4a", "aac", 22050, "ipod", None, "aac"),
    ("call_16k.flac", "flac", 16000, None, None, "flac"),
]
STEREO_FORMATS = [
    ("stereo_mulaw_8k.wav", "pcm_mulaw", 8000, None, None, "pcm_mulaw"),
    ("stereo_16k.mp3", "libmp3lame", 16000, None, None, "mp3"),
    ("stereo_48k.opus", "libopus", 48000, "ogg", None, "opus"),
    # FFmpeg's own Vorbis encoder is experimental and writes stereo only.
    ("stereo_44k.ogg", "vorbis", 44100, "ogg", {"strict": "-2"}, "vorbis"),
    ("stereo_16k.m4a", "aac", 16000, "ipod", None, "aac"),
    ("stereo_16k.flac", "flac", 16000, None, None, "flac"),
]
CONTAINERS = {".wav": "wav", ".mp3": "mp3", ".opus": "ogg", ".ogg": "ogg", ".m4a": "m4a", ".flac": "flac"}
# AAC encoders prime the stream with 1024 silent samples; the decoded call may run that much longer.
DURATION_TOLERANCE_S = 0.13
# Up to 100 ms of codec delay is harmless for word timings.
MAX_LAG = SAMPLE_RATE // 10


@pytest.fixture(scope="module")
def mono_source() -> np.ndarray:
    return read_pcm16(MONO_WAV)


@pytest.fixture(scope="module")
def stereo_source() -> np.ndarray:
    return read_pcm16(STEREO_WAV)


def _check_info(decoded, path: Path, codec: str, rate: int, channels: int, duration: float) -> None:
    info = decoded.info
    assert info.codec == codec
    assert info.container == CONTAINERS[path.suffix]
    assert info.sample_rate == rate
    assert info.channels == channels
    assert info.size_bytes == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert abs(info.duration_s - duration) <= DURATION_TOLERANCE_S
    assert info.duration_s == pytest.approx(decoded.samples.shape[1] / SAMPLE_RATE)
    assert decoded.samples.dtype == np.float32
    assert decoded.samples.shape[0] == channels
    assert np.abs(decoded.samples).max() <= 1.0


@pytest.mark.parametrize(("name", "codec", "rate", "container", "options", "codec_name"), MONO_FORMATS)
def test_decodes_mono_formats(tmp_path, mono_source, name, codec, rate, container, options, codec_name):
    path = encode(mono_source, tmp_path / name, codec, rate=rate, container=container, options=options)
    decoded = decode(path)
    _check_info(decoded, path, codec_name, rate, 1, mono_source.shape[1] / SAMPLE_RATE)
    correlation, lag = best_correlation(mono_source[0], decoded.samples[0], MAX_LAG)
    assert correlation > 0.95, f"{name}: decoded audio does not match the original (r={correlation:.3f})"
    assert abs(lag) <= MAX_LAG


@pytest.mark.parametrize(("name", "codec", "rate", "container", "options", "codec_name"), STEREO_FORMATS)
def test_decodes_stereo_formats_keeping_channels_apart(
    tmp_path, stereo_source, name, codec, rate, container, options, codec_name
):
    path = encode(stereo_source, tmp_path / name, codec, rate=rate, container=container, options=options)
    decoded = decode(path)
    _check_info(decoded, path, codec_name, rate, 2, stereo_source.shape[1] / SAMPLE_RATE)
    for channel in (0, 1):
        same, _ = best_correlation(stereo_source[channel], decoded.samples[channel], MAX_LAG)
        other, _ = best_correlation(stereo_source[1 - channel], decoded.samples[channel], MAX_LAG)
        assert same > 0.95, f"{name}: channel {channel} does not match the original (r={same:.3f})"
        assert other < 0.3, f"{name}: channel {channel} carries the other side (r={other:.3f})"


def test_decodes_the_8bit_unsigned_phone_call():
    decoded = decode(AWS_CALL)
    info = decoded.info
    assert (info.container, info.codec, info.sample_rate, info.channels) == ("wav", "pcm_u8", 8000, 1)
    # 8-bit PCM: one byte per sample after the 44-byte header.
    assert info.duration_s == pytest.approx((AWS_CALL.stat().st_size - 44) / 8000, abs=1e-3)
    samples = decoded.samples[0]
    assert samples.shape == (round(info.duration_s * SAMPLE_RATE),)
    # Unsigned samples centre on 128; decoded right they centre on zero and the call is not clipped.
    assert abs(float(samples.mean())) < 0.01
    assert 0.01 < float(np.sqrt(np.mean(samples**2))) < 0.5


def test_keeps_the_first_two_of_many_channels(tmp_path):
    rate = 22050
    t = np.arange(rate) / rate
    tones = [200.0, 300.0, 400.0, 500.0, 600.0, 700.0]
    planar = np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in tones])
    interleaved = (planar.T.reshape(1, -1) * 32767).astype(np.int16)
    path = tmp_path / "surround.wav"
    with av.open(str(path), "w") as output:
        stream = output.add_stream("pcm_s16le", rate=rate, layout="5.1")
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="5.1")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    decoded = decode(path)
    assert decoded.info.channels == 6
    assert decoded.samples.shape == (2, SAMPLE_RATE)
    for channel, tone in enumerate(tones[:2]):
        spectrum = np.abs(np.fft.rfft(decoded.samples[channel]))
        assert np.argmax(spectrum) * SAMPLE_RATE / decoded.samples.shape[1] == pytest.approx(tone, abs=2)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_missing_file(tmp_path):
    path = tmp_path / "gone.wav"
    with pytest.raises(AudioError, match="file not found") as caught:
        decode(path)
    assert str(path) in str(caught.value)


def test_empty_file(tmp_path):
    path = _write(tmp_path / "empty.wav", b"")
    with pytest.raises(AudioError, match="empty file") as caught:
        decode(path)
    assert str(path) in str(caught.value)


def test_wav_with_no_samples(tmp_path):
    path = tmp_path / "silent.wav"
    with wave.open(str(path), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(8000)
    assert path.stat().st_size > 0
    with pytest.raises(AudioError, match="holds no samples") as caught:
        decode(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("truncated_header.wav", lambda data: data[:30]),
        ("zeroed_header.wav", lambda data: data[:4] + bytes(40) + data[44:]),
        ("random.wav", lambda data: np.random.default_rng(7).bytes(20000)),
        ("notes.txt", lambda data: b"call notes: customer asked for a discount\n" * 100),
    ],
)
def test_not_audio(tmp_path, name, damage):
    path = _write(tmp_path / name, damage(MONO_WAV.read_bytes()))
    with pytest.raises(AudioError, match="not an audio file") as caught:
        decode(path)
    assert str(path) in str(caught.value)


def test_truncated_audio_data_decodes_what_is_there(tmp_path):
    data = MONO_WAV.read_bytes()
    header = len(data) - 2 * 30 * SAMPLE_RATE
    path = _write(tmp_path / "cut.wav", data[: header + 2 * SAMPLE_RATE * 5])
    decoded = decode(path)
    assert decoded.info.duration_s == pytest.approx(5.0)
