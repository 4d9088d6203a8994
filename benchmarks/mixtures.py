"""Evaluation mixtures for the speaker count: phone-band recordings of 1 to 5 speakers with RTTM references.

`python -m benchmarks.mixtures --out DIR` writes every mixture of `eval_data/mixtures.json` (its WAV and RTTM).
The recipe, the same on every run (each mixture has its own seed):
- voices: single-speaker speech cut from recordings with references, read in place from ../shared/data: each
  SpokenWOZ call's caller (channel 0) and agent (channel 1) at their reference word turns (CC BY-NC 4.0: benchmark
  only, never copied), the two speakers of pyannote's sample call outside their overlaps (MIT), and the voice
  activity of the 60-s Russian silero-vad recording and of JFK's address (MIT);
- scenarios: `one-sided` (one voice, with the silences where the unrecorded side speaks), `dialogue` (two voices
  taking turns), `transfer` (a customer with a first agent, hold music, then a second agent; with four or five
  voices the second part is a conference), `conference` (all voices in turn);
- turns of 2.5 to 7 s; the gap before a turn is drawn from -0.8 s (an overlap) to 1.2 s, a quarter of the turns
  overlapping; each voice at its own level (±4 dB);
- phone band: mixed at 16 kHz, line noise at -55 dBFS, then through G.711 (mu-law or A-law, 8 kHz) by FFmpeg's
  encoders (PyAV) and decoded back by the pipeline's own decoder.
The reference marks a speaker wherever one of their cut pieces plays. `tune` mixtures choose thresholds, `score`
mixtures only score; pyannote's sample call and the AMI excerpt are scored beside them with their own references.
"""

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from pyannote.core import Annotation, Segment

from benchmarks.line_sounds import hold_music
from benchmarks.recordings import SHARED_DATA
from benchmarks.speech_refs import read_rttm, stereo_calls, words_to_turns
from transcribe.audio import SAMPLE_RATE, decode

SPLIT = Path(__file__).parent / "eval_data" / "mixtures.json"
MIN_PIECE_S = 1.0
LINE_NOISE_DBFS = -55.0


@dataclass(frozen=True)
class Mixture:
    id: str
    part: str
    scenario: str
    voices: list[str]
    seed: int
    codec: str


@dataclass(frozen=True)
class Built:
    mixture: Mixture
    samples: np.ndarray
    """16 kHz mono, as the pipeline decoded the phone-band file."""
    reference: Annotation


def load_split(path: Path = SPLIT) -> list[Mixture]:
    return [Mixture(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))["mixtures"]]


def pieces(samples: np.ndarray, spans: list[tuple[float, float]]) -> list[np.ndarray]:
    """The parts of 16 kHz `samples` at `spans` (seconds) long enough to carry a voice."""
    return [
        samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] for start, end in spans if end - start >= MIN_PIECE_S
    ]


def rttm_voices(audio: Path, rttm: Path, prefix: str) -> dict[str, list[np.ndarray]]:
    """Each reference speaker's speech outside the others' (overlap left out), named `prefix` + label."""
    reference = read_rttm(rttm)
    mono = decode(audio).samples.mean(axis=0)
    found = {}
    for label in reference.labels():
        others = reference.subset([label], invert=True).get_timeline().support()
        own = reference.label_timeline(label).support().extrude(others)
        found[f"{prefix}{label.lower()}"] = pieces(mono, [(s.start, s.end) for s in own])
    return found


def vad_voice(audio: Path) -> list[np.ndarray]:
    """A one-speaker recording's speech, cut where faster-whisper's voice activity detector hears it."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    samples = decode(audio).samples.mean(axis=0)
    found = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300, speech_pad_ms=30))
    return pieces(samples, [(span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE) for span in found])


def voices(data: Path = SHARED_DATA) -> dict[str, list[np.ndarray]]:
    """Each voice's speech pieces (16 kHz), in the order they were said."""
    found: dict[str, list[np.ndarray]] = {}
    for call in stereo_calls(data / "calls_en" / "spokenwoz"):
        audio = decode(call.path).samples
        for channel, speaker, role in ((0, "A", "caller"), (1, "B", "agent")):
            turns = words_to_turns([w for w in call.words if w.speaker == speaker], call.path.stem)
            spans = [(segment.start, segment.end) for segment in turns.itersegments()]
            found[f"{call.path.stem.lower()}_{role}"] = pieces(audio[channel], spans)
    found |= rttm_voices(data / "diar" / "pyannote_sample.wav", data / "diar" / "pyannote_sample.rttm", "pyannote_")
    found["silero_ru"] = vad_voice(data / "asr" / "ru" / "silero_vad_ru_60s.flac")
    found["jfk"] = vad_voice(data / "asr" / "en" / "jfk.flac")
    return found


def _turn_plan(mixture: Mixture, rng: random.Random) -> Iterator[tuple[str | None, float]]:
    """(voice, gap before it) for each turn; voice None is hold music."""
    v = mixture.voices
    if mixture.scenario == "one-sided":
        for _ in range(7):
            yield v[0], rng.uniform(2.0, 5.0)
        return
    if mixture.scenario == "dialogue":
        order = [v[i % 2] for i in range(8)]
    elif mixture.scenario == "conference":
        order = [v[i % len(v)] for i in range(max(8, 2 * len(v) + 2))]
    elif mixture.scenario == "transfer":
        customer, first, rest = v[0], v[1], v[2:]
        order = [first, customer] * 2 + [None] + [x for _ in range(2) for x in (rest[0], customer, *rest[1:])]
    else:
        raise ValueError(f"unknown scenario {mixture.scenario!r}")
    for index, voice in enumerate(order):
        yield voice, 0.0 if index == 0 else (rng.uniform(-0.8, -0.2) if rng.random() < 0.25 else rng.uniform(0.1, 1.2))


def build(mixture: Mixture, pools: dict[str, list[np.ndarray]], folder: Path) -> Built:
    """The mixture's phone-band audio (written to `folder`) and its reference turns."""
    rng = random.Random(mixture.seed)
    gains = {voice: 10 ** (rng.uniform(-4, 4) / 20) for voice in mixture.voices}
    cursor = {voice: rng.randrange(len(pools[voice])) for voice in mixture.voices}
    placed: list[tuple[int, np.ndarray, str | None]] = []
    end = 0
    for voice, gap in _turn_plan(mixture, rng):
        start = max(0, end + int(gap * SAMPLE_RATE))
        if voice is None:
            music = 0.3 * hold_music(rng.uniform(4.0, 6.0), SAMPLE_RATE)
            placed.append((start, music, None))
            end = start + music.size
            continue
        wanted, length = rng.uniform(2.5, 7.0) * SAMPLE_RATE, 0
        position = start
        while length < wanted:
            pool = pools[voice]
            piece = pool[cursor[voice] % len(pool)]
            cursor[voice] += 1
            piece = gains[voice] * 0.1 * piece / max(1e-6, float(np.sqrt(np.mean(piece**2))))
            placed.append((position, piece, voice))
            position += piece.size + int(0.25 * SAMPLE_RATE)
            length += piece.size
        end = position - int(0.25 * SAMPLE_RATE)
    total = max(at + piece.size for at, piece, _ in placed) + SAMPLE_RATE
    mix = np.random.default_rng(mixture.seed).normal(0.0, 10 ** (LINE_NOISE_DBFS / 20), total).astype(np.float32)
    reference = Annotation(uri=mixture.id)
    for index, (at, piece, voice) in enumerate(placed):
        mix[at : at + piece.size] += piece
        if voice is not None:
            reference[Segment(at / SAMPLE_RATE, (at + piece.size) / SAMPLE_RATE), index] = voice
    path = _phone_band(np.clip(mix, -1.0, 1.0), folder / f"{mixture.id}.wav", mixture.codec)
    (folder / f"{mixture.id}.rttm").write_text(_rttm(reference), encoding="utf-8")
    return Built(mixture, decode(path).samples.mean(axis=0), reference)


def _phone_band(samples: np.ndarray, path: Path, codec: str) -> Path:
    with av.open(str(path), "w", format="wav") as output:
        stream = output.add_stream(codec, rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[np.newaxis, :].astype(np.float32), format="fltp", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return path


def _rttm(reference: Annotation) -> str:
    return "".join(
        f"SPEAKER {reference.uri} 1 {segment.start:.3f} {segment.duration:.3f} <NA> <NA> {label} <NA> <NA>\n"
        for segment, _, label in reference.itertracks(yield_label=True)
    )


def build_all(folder: Path, part: str | None = None) -> Iterator[Built]:
    folder.mkdir(parents=True, exist_ok=True)
    pools = voices()
    for mixture in load_split():
        if part is None or mixture.part == part:
            yield build(mixture, pools, folder)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mixtures", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="Folder for the WAV and RTTM files.")
    args = parser.parse_args()
    pools = voices()
    for name, pieces in pools.items():
        print(f"voice {name}: {len(pieces)} pieces, {sum(p.size for p in pieces) / SAMPLE_RATE:.1f} s")
    for built in build_all(args.out):
        speech = built.reference.chart()
        print(
            f"{built.mixture.id} {built.mixture.part} {built.mixture.scenario}: {len(built.reference.labels())} "
            f"speakers, {built.samples.size / SAMPLE_RATE:.1f} s; "
            + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in speech)
        )


if __name__ == "__main__":
    main()
