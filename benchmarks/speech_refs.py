"""The references the speech evaluation scores against, all read in place from ../shared/data.

Three kinds: short recordings with a transcript (`asr/en`, `asr/ru`, and the per-channel text of the stereo
diarisation file), recordings with reference speaker turns (`diar/*.rttm`), and the SpokenWOZ stereo calls, whose
word-level JSON gives every word with its speaker (A: caller, channel 0; B: agent, channel 1) and times.
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from pyannote.core import Annotation, Segment, Timeline

from benchmarks.recordings import SHARED_DATA, SPOKENWOZ, channel_tsv_text, stm_text

AGENT = "B"
"""The SpokenWOZ speaker who is the agent (the rep); A is the caller."""

TURN_GAP_S = 0.5
"""Words of one speaker closer than this are one reference turn (SpokenWOZ has word times, not turns)."""


@dataclass(frozen=True)
class TextReference:
    path: Path
    language: str
    text: str
    order: str = "time"


@dataclass(frozen=True)
class TurnReference:
    path: Path
    turns: Annotation
    uem: Timeline | None = None


@dataclass(frozen=True)
class RefWord:
    speaker: str
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class StereoCall:
    path: Path
    words: list[RefWord] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def speaker_texts(self) -> dict[str, str]:
        texts: dict[str, list[str]] = {}
        for word in self.words:
            texts.setdefault(word.speaker, []).append(word.text)
        return {speaker: " ".join(parts) for speaker, parts in sorted(texts.items())}

    def turns(self) -> Annotation:
        return words_to_turns(self.words, self.path.stem)


def words_to_turns(words: list[RefWord], uri: str) -> Annotation:
    """Each speaker's words merged into turns wherever the gap between them is under TURN_GAP_S."""
    annotation = Annotation(uri=uri)
    open_turn: dict[str, list[float]] = {}
    spans: list[tuple[list[float], str]] = []
    for word in sorted(words, key=lambda w: w.start):
        span = open_turn.get(word.speaker)
        if span is not None and word.start - span[1] < TURN_GAP_S:
            span[1] = max(span[1], word.end)
            continue
        open_turn[word.speaker] = [word.start, word.end]
        spans.append((open_turn[word.speaker], word.speaker))
    for index, ((start, end), speaker) in enumerate(spans):
        annotation[Segment(start, end), index] = speaker
    return annotation


def _first_line(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip().splitlines()[0]


def asr_references(data: Path = SHARED_DATA) -> list[TextReference]:
    """Short real speech with a transcript, English then Russian."""
    en, ru, diar = data / "asr" / "en", data / "asr" / "ru", data / "diar"
    found = [
        TextReference(en / "jfk.flac", "en", _first_line(en / "jfk.txt")),
        # "0 46797 text": the first two fields are the sample range.
        TextReference(en / "LDC93S1_8k.wav", "en", _first_line(en / "LDC93S1.txt").split(maxsplit=2)[2]),
        TextReference(en / "pisets_test_sound_en.wav", "en", _first_line(en / "pisets_test_sound_en.txt")),
        TextReference(diar / "pyannote_sample.wav", "en", stm_text(diar / "pyannote_sample.stm")),
        TextReference(
            diar / "fw_stereo_diarization.wav", "en", channel_tsv_text(diar / "fw_stereo_diarization.tsv"), "channel"
        ),
    ]
    with (ru / "deepspeech_ru.csv").open(encoding="utf-8", newline="") as source:
        row = next(csv.DictReader(source))
    found.append(TextReference(ru / "deepspeech_ru.wav", "ru", row["transcript"]))
    golos = json.loads(_first_line(ru / "golos_example1.json"))
    found.append(TextReference(ru / "golos_001ce26c07c20eaa0d666b824c6c6924.wav", "ru", golos["text"]))
    found.append(TextReference(ru / "pisets_test_sound_ru.wav", "ru", _first_line(ru / "pisets_test_sound_ru.txt")))
    digits = ru / "asterisk_ru_digits"
    with (digits / "digits_ref.tsv").open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source, delimiter="\t"):
            found.append(TextReference(digits / row["file"], "ru", row["expected_text"]))
    return [ref for ref in found if ref.path.is_file()]


def read_rttm(path: Path, uri: str | None = None) -> Annotation:
    annotation = Annotation(uri=uri)
    for index, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER" and (uri is None or parts[1] == uri):
            start, duration = float(parts[3]), float(parts[4])
            annotation[Segment(start, start + duration), index] = parts[7]
    return annotation


def read_uem(path: Path, uri: str) -> Timeline:
    segments = [
        Segment(float(parts[2]), float(parts[3]))
        for parts in (line.split() for line in path.read_text(encoding="utf-8").splitlines())
        if len(parts) == 4 and parts[0] == uri
    ]
    return Timeline(segments, uri=uri)


def turn_references(data: Path = SHARED_DATA) -> list[TurnReference]:
    """Mono recordings with reference speaker turns."""
    diar = data / "diar"
    found = []
    if (diar / "pyannote_sample.wav").is_file():
        found.append(TurnReference(diar / "pyannote_sample.wav", read_rttm(diar / "pyannote_sample.rttm")))
    if (diar / "ami_pyannote_dev00.wav").is_file():
        found.append(
            TurnReference(
                diar / "ami_pyannote_dev00.wav",
                read_rttm(diar / "ami_pyannote_dev00_tst00.rttm", "dev00"),
                read_uem(diar / "ami_pyannote_dev00_tst00.uem", "dev00"),
            )
        )
    return found


def stereo_calls(folder: Path = SPOKENWOZ) -> list[StereoCall]:
    """SpokenWOZ calls with audio and a word-level reference."""
    calls = []
    for audio in sorted(folder.glob("*.flac")):
        reference = audio.with_suffix(".json")
        if not reference.is_file():
            continue
        words = [
            RefWord(w["speaker"], w["word"], float(w["start"]), float(w["end"]))
            for w in json.loads(reference.read_text(encoding="utf-8"))
        ]
        calls.append(StereoCall(audio, sorted(words, key=lambda w: (w.start, w.end))))
    return calls
