"""Scoring each reference set: WER per language, DER/JER, and the stereo-call figures (cpWER, roles, leakage).

Every row holds ours and the plain baseline measured in the same run on the same audio. Rows are plain dicts of
column → value so the console tables, the markdown and the JSON share one shape.
"""

import logging
from collections.abc import Callable, Iterable

from pyannote.core import Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate, JaccardErrorRate

from benchmarks.speech_refs import AGENT, StereoCall, TextReference, TurnReference
from benchmarks.speech_systems import (
    Segmented,
    annotation,
    attribute_segments,
    downmix,
    run_ours,
    run_plain,
    split,
)
from benchmarks.wer import Errors, cp_errors, errors, normalize
from models import Conversation, Role, Transcript
from pipeline.runtime import Runtime
from transcribe.audio import SAMPLE_RATE, decode
from transcribe.core import StereoRecognition

Row = dict[str, object]
log = logging.getLogger(__name__)
COLLARS = (0.0, 0.25)
LEAK_TOLERANCE_S = 0.2
"""Two same-text words on opposite channels within this of each other count as one word heard twice."""


def _ordered_text(transcript: Transcript, order: str) -> str:
    words = transcript.words
    if order == "channel":
        words = sorted(words, key=lambda w: (w.channel, w.start))
    return " ".join(w.text for w in words)


def score_asr(refs: Iterable[TextReference], runtime: Runtime, plain, tick: Callable[[str], None]) -> list[Row]:
    rows = []
    for ref in refs:
        tick(ref.path.name)
        audio = decode(ref.path)
        ours = run_ours(audio, runtime)
        theirs = run_plain(plain, ref.path)
        rows.append(
            {
                "recording": ref.path.name,
                "lang": ref.language,
                "dur s": f"{audio.duration_s:.1f}",
                "ref words": len(normalize(ref.text, ref.language).split()),
                "detected": ours.language,
                "ours": errors(ref.text, _ordered_text(ours, ref.order), ref.language),
                "plain fw": errors(ref.text, theirs.text, ref.language),
            }
        )
        log.info("%s", rows[-1])
    return rows


def language_summary(rows: list[Row], columns: tuple[str, ...] = ("ours", "plain fw")) -> list[Row]:
    """Corpus WER per language: all errors over all reference words, so short clips weigh by their length."""
    summary = []
    for language in sorted({str(row["lang"]) for row in rows}):
        picked = [row for row in rows if row["lang"] == language]
        out: Row = {"lang": language, "recordings": len(picked), "ref words": sum(int(r["ref words"]) for r in picked)}
        for column in columns:
            total = Errors(0, 0)
            for row in picked:
                total = total + row[column]  # type: ignore[operator]
            out[column] = total
        summary.append(out)
    return summary


def diarisation_errors(reference, hypothesis, uem: Timeline) -> Row:
    """DER and JER at each collar, overlapped speech scored (pyannote.metrics' `collar` is the total width around
    each reference boundary, half on each side)."""
    out: Row = {}
    for collar in COLLARS:
        der = DiarizationErrorRate(collar=collar, skip_overlap=False)(reference, hypothesis, uem=uem)
        jer = JaccardErrorRate(collar=collar, skip_overlap=False)(reference, hypothesis, uem=uem)
        out[f"DER c{collar:g}"] = der
        out[f"JER c{collar:g}"] = jer
    return out


def score_diarisation(refs: Iterable[TurnReference], runtime: Runtime, plain, tick: Callable[[str], None]) -> list[Row]:
    rows = []
    for ref in refs:
        tick(ref.path.name)
        mono = decode(ref.path).samples.mean(axis=0)
        uri = ref.turns.uri
        uem = ref.uem or Timeline([Segment(0.0, mono.size / SAMPLE_RATE)], uri=uri)
        ours = runtime.engines.diarizer.diarize(mono, SAMPLE_RATE, min_speakers=1, expected_speakers=2)
        theirs = plain.diarize(mono, SAMPLE_RATE)
        for system, turns in (("ours", ours), ("plain pyannote", theirs)):
            found = annotation(turns, uri)
            rows.append(
                {"recording": ref.path.name, "system": system, "speakers": len(found.labels())}
                | diarisation_errors(ref.turns, found, uem)
            )
            log.info("%s", rows[-1])
    return rows


def role_accuracy(call: StereoCall, conversation: Conversation) -> float:
    """Share of reference words whose speaker, at the word's midpoint, carries the right role (B is the rep);
    a word no turn covers counts as wrong."""
    right = 0
    for word in call.words:
        middle = (word.start + word.end) / 2
        speakers = [s for start, end, s in conversation.turns if start <= middle <= end]
        truth = Role.rep if word.speaker == AGENT else Role.customer
        right += any(conversation.roles.get(s) == truth for s in speakers)
    return right / len(call.words)


def leaked_words(words: list[tuple[int, str, float, float]]) -> int:
    """Words heard on both sides: the same normalised text on the other channel within LEAK_TOLERANCE_S."""
    count = 0
    for index, (side, text, start, end) in enumerate(words):
        for other_side, other_text, other_start, other_end in words[index + 1 :]:
            if other_start > end + LEAK_TOLERANCE_S:
                break
            close = other_start <= end + LEAK_TOLERANCE_S and start <= other_end + LEAK_TOLERANCE_S
            if other_side != side and other_text == text and close:
                count += 1
    return count


def _norm_words(items: Iterable[tuple[int, str, float, float]]) -> list[tuple[int, str, float, float]]:
    out = []
    for side, text, start, end in items:
        for token in normalize(text).split():
            out.append((side, token, start, end))
    return sorted(out, key=lambda w: w[2])


def _speaker_texts(conversation: Conversation) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    for utterance in conversation.utterances:
        texts.setdefault(utterance.speaker, []).append(utterance.text)
    return {speaker: " ".join(parts) for speaker, parts in texts.items()}


def score_stereo(calls: Iterable[StereoCall], runtime: Runtime, whisper, pyannote, tick) -> list[Row]:
    """Per SpokenWOZ call: ours on the stereo call (the mix with words given to channels, the product's choice on
    these calls, and each channel alone), ours on the mono downmix, and plain faster-whisper + plain pyannote on the
    downmix."""
    rows = []
    for call in calls:
        tick(call.path.name)
        audio = decode(call.path)
        mix = downmix(audio)
        mixed = run_ours(audio, runtime, StereoRecognition.mix)
        mixed_split = split(audio, mixed, runtime)
        stereo = run_ours(audio, runtime, StereoRecognition.channels)
        stereo_split = split(audio, stereo, runtime)
        mono = run_ours(mix, runtime)
        mono_split = split(mix, mono, runtime)
        plain_text: Segmented = run_plain(whisper, mix.samples[0])
        plain_turns = pyannote.diarize(mix.samples[0], SAMPLE_RATE)
        reference = call.turns()
        uem = Timeline([Segment(0.0, audio.duration_s)], uri=reference.uri)
        ref_texts = call.speaker_texts()
        systems = (
            ("ours stereo, mix", mixed, mixed_split.turns, _speaker_texts(mixed_split), mixed_split),
            ("ours per channel", stereo, stereo_split.turns, _speaker_texts(stereo_split), stereo_split),
            ("ours downmix", mono, mono_split.turns, _speaker_texts(mono_split), mono_split),
            ("plain fw + pyannote", plain_text, plain_turns, attribute_segments(plain_text, plain_turns), None),
        )
        for name, text, turns, speaker_texts, conversation in systems:
            words = text.text if isinstance(text, Segmented) else _ordered_text(text, "time")
            der = diarisation_errors(reference, annotation(turns, reference.uri), uem)
            rows.append(
                {
                    "call": call.path.name,
                    "system": name,
                    "WER": errors(call.text, words),
                    "cpWER": cp_errors(ref_texts, speaker_texts),
                    "DER c0": der["DER c0"],
                    "DER c0.25": der["DER c0.25"],
                    "JER c0": der["JER c0"],
                    "roles": role_accuracy(call, conversation) if conversation is not None else None,
                    "leaked": (
                        leaked_words(_norm_words((w.channel, w.text, w.start, w.end) for w in text.words))
                        if name.startswith("ours") and name != "ours downmix" and isinstance(text, Transcript)
                        else None
                    ),
                }
            )
            log.info("%s", rows[-1])
        reference_pairs = _norm_words((0 if w.speaker != AGENT else 1, w.text, w.start, w.end) for w in call.words)
        rows.append({"call": call.path.name, "system": "reference", "leaked": leaked_words(reference_pairs)})
    return rows
