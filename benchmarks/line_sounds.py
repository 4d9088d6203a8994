"""Telephone line sounds with no speech in them, generated: what a call recording holds before and between the
talking (silence, line noise, dial and ringback tones, DTMF, hold music)."""

import wave
from pathlib import Path

import numpy as np

SEED = 20260101
DTMF = {"1": (697, 1209), "5": (770, 1336), "9": (852, 1477), "0": (941, 1336), "#": (941, 1477)}
CHORDS = ((261.63, 329.63, 392.0), (220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66))


def _time(seconds: float, rate: int) -> np.ndarray:
    return np.arange(int(seconds * rate)) / rate


def tone(freqs: tuple[float, ...], seconds: float, rate: int, level: float = 0.3) -> np.ndarray:
    t = _time(seconds, rate)
    return level * sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)


def cadence(freqs: tuple[float, ...], on: float, off: float, seconds: float, rate: int) -> np.ndarray:
    signal = tone(freqs, seconds, rate)
    t = _time(seconds, rate)
    return signal * ((t % (on + off)) < on)


def dtmf(digits: str, rate: int) -> np.ndarray:
    gap = np.zeros(int(0.1 * rate))
    return np.concatenate([np.concatenate([tone(DTMF[d], 0.15, rate), gap]) for d in digits])


def hold_music(seconds: float, rate: int) -> np.ndarray:
    """Four-chord loop, two seconds a chord, each note with three harmonics, a decay and a 5 Hz tremolo."""
    t = _time(2.0, rate)
    envelope = np.exp(-t / 1.5) * (1 + 0.2 * np.sin(2 * np.pi * 5 * t))
    bars = []
    for chord in CHORDS:
        notes = sum(sum(np.sin(2 * np.pi * f * k * t) / k for k in (1, 2, 3)) for f in chord)
        bars.append(0.1 * envelope * notes)
    loop = np.concatenate(bars)
    return np.resize(loop, int(seconds * rate))


def noise(seconds: float, rate: int, dbfs: float) -> np.ndarray:
    return np.random.default_rng(SEED).normal(0.0, 10 ** (dbfs / 20), int(seconds * rate))


def generated_clips() -> list[tuple[str, int, np.ndarray]]:
    """(name, sample rate, samples) of every no-speech clip."""
    clips = []
    for rate in (8000, 16000):
        clips += [
            ("silence 5 s", rate, np.zeros(5 * rate)),
            ("noise -60 dBFS 5 s", rate, noise(5, rate, -60)),
            ("noise -30 dBFS 5 s", rate, noise(5, rate, -30)),
            ("RU dial 425 Hz 5 s", rate, tone((425,), 5, rate)),
            ("RU ringback 425 Hz 1/4 s 6 s", rate, cadence((425,), 1, 4, 6, rate)),
            ("US dial 350+440 Hz 5 s", rate, tone((350, 440), 5, rate)),
            ("US ringback 440+480 Hz 2/4 s 6 s", rate, cadence((440, 480), 2, 4, 6, rate)),
            ("DTMF 15590#", rate, dtmf("15590#", rate)),
            ("hold music 10 s", rate, hold_music(10, rate)),
        ]
    clips += [
        ("silence 0.5 s", 8000, np.zeros(4000)),
        ("ringback 0.8 s", 8000, tone((425,), 0.8, 8000)),
        ("noise 0.3 s", 16000, noise(0.3, 16000, -30)),
        ("hold music 0.9 s", 16000, hold_music(0.9, 16000)),
    ]
    return clips


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path
