"""Mono calls beyond two people: more voices found from the audio, machine voices left out, one-sided recordings.

The recordings are phone-band mixtures (G.711, 8 kHz) built by the evaluation recipe (`benchmarks/mixtures.py`)
from the bundled permissive audio: the two speakers of pyannote's sample call and the Russian silero-vad voice.
"""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from benchmarks.mixtures import Built, Mixture, build, rttm_voices, vad_voice
from crm_fill.schema import builtin_field_schema
from diarize import split_speakers
from diarize.pyannote_diarizer import PyannoteDiarizer
from models import Answer, CallDirection, CallInfo, Conversation, NonSpeaker, Role, Transcript, Word
from pipeline.models_cache import starter_embedding_checkpoint, starter_segmentation_dir
from scoring_scripts.loader import builtin_script
from summarize.core import analyze
from summarize.metrics import measure
from transcribe.audio import SAMPLE_RATE

DATA = Path(__file__).parents[1] / "data"
IVR_WORDS = [
    "ваш",
    "звонок",
    "очень",
    "важен",
    "для",
    "нас",
    "оставайтесь",
    "на",
    "линии",
    "все",
    "операторы",
    "заняты",
]
CUSTOMER_WORDS = ["да", "здравствуйте", "я", "хотела", "узнать", "про", "доставку", "заказа", "на", "завтра"]
PERSON_WORDS = ["yes", "I", "see", "that", "sounds", "good", "let", "me", "check", "the", "dates"]


@pytest.fixture(scope="module")
def diarizer() -> PyannoteDiarizer:
    return PyannoteDiarizer.from_starter(starter_segmentation_dir(), starter_embedding_checkpoint())


@pytest.fixture(scope="module")
def pools() -> dict[str, list[np.ndarray]]:
    found = rttm_voices(DATA / "pyannote_sample.wav", DATA / "pyannote_sample.rttm", "")
    found["silero_ru"] = vad_voice(DATA / "silero_vad_ru_60s.flac")
    return found


def _mixture(pools, folder: Path, scenario: str, voices: list[str], seed: int) -> Built:
    return build(Mixture(f"test_{scenario}", "test", scenario, voices, seed, "pcm_mulaw"), pools, folder)


def _transcript(reference: Annotation, said: dict[str, list[str]], duration: float) -> Transcript:
    """Words spread evenly over each reference turn, each voice saying its own words in turn."""
    words = []
    for segment, _, label in reference.itertracks(yield_label=True):
        texts = said[label]
        count = max(1, int(segment.duration / 0.4))
        step = segment.duration / count
        for index in range(count):
            start = segment.start + index * step
            words.append(Word(text=texts[index % len(texts)], start=start, end=start + 0.8 * step, probability=1.0))
    words.sort(key=lambda w: w.start)
    return Transcript(language="ru", language_probability=1.0, duration_s=duration, channels=1, words=words)


def _hypothesis(conversation: Conversation) -> Annotation:
    found = Annotation()
    for index, (start, end, speaker) in enumerate(conversation.turns):
        found[Segment(start, end), index] = speaker
    return found


@pytest.fixture(scope="module")
def three_voices(diarizer, pools, tmp_path_factory) -> tuple[Built, Conversation]:
    """A conference of three voices, the third an IVR prompt's words."""
    built = _mixture(pools, tmp_path_factory.mktemp("three"), "conference", ["speaker90", "speaker91", "silero_ru"], 7)
    duration = built.samples.size / SAMPLE_RATE
    said = {"speaker90": PERSON_WORDS, "speaker91": CUSTOMER_WORDS, "silero_ru": IVR_WORDS}
    conversation = split_speakers(
        built.samples,
        SAMPLE_RATE,
        _transcript(built.reference, said, duration),
        layout=None,
        direction=CallDirection.inbound,
        diarizer=diarizer,
    )
    return built, conversation


def test_three_voices_are_found_where_two_are_expected(three_voices):
    built, conversation = three_voices
    assert len(built.reference.labels()) == 3
    found = _hypothesis(conversation)
    assert len(found.labels()) == 3
    der = DiarizationErrorRate(collar=0.0, skip_overlap=False)(built.reference, found)
    assert der < 0.25, f"DER {der:.3f}"


def test_an_ivr_voice_is_not_a_speaker_in_talk_metrics(three_voices):
    _built, conversation = three_voices
    ivr = [speaker for speaker, kind in conversation.non_speakers.items() if kind == NonSpeaker.ivr]
    assert len(ivr) == 1
    assert ivr[0] not in conversation.roles
    assert {u.role for u in conversation.utterances if u.speaker == ivr[0]} == {Role.unknown}
    assert set(conversation.roles.values()) == {Role.rep, Role.customer}
    ivr_talk = sum(u.end - u.start for u in conversation.utterances if u.speaker == ivr[0])
    assert ivr_talk > 5.0
    people = conversation.people_only()
    assert all(u.speaker != ivr[0] for u in people.utterances)
    metrics = measure(people)
    people_talk = sum(u.end - u.start for u in people.utterances)
    assert metrics.rep.talk_time_s + metrics.customer.talk_time_s <= people_talk + 0.01
    assert "ivr" in conversation.role_rule


def test_a_one_sided_recording_is_one_speaker_and_the_missing_side_is_not_determined(diarizer, pools, tmp_path):
    built = _mixture(pools, tmp_path, "one-sided", ["silero_ru"], 3)
    duration = built.samples.size / SAMPLE_RATE
    transcript = _transcript(built.reference, {"silero_ru": CUSTOMER_WORDS}, duration)
    conversation = split_speakers(
        built.samples, SAMPLE_RATE, transcript, layout=None, direction=CallDirection.inbound, diarizer=diarizer
    )
    assert len(_hypothesis(conversation).labels()) == 1
    assert conversation.one_sided
    assert conversation.roles == {"speaker_1": Role.customer}, conversation.role_rule
    card = analyze(
        conversation, builtin_script("ru_b2b_discovery"), builtin_field_schema("default"), CallInfo(), None
    ).scorecard
    rep_items = {item.id for item in builtin_script("ru_b2b_discovery").items() if item.speaker == Role.rep}
    missing = [item for item in card.items if item.item_id in rep_items]
    assert missing and all(item.answer == Answer.not_determined for item in missing)
    assert all("customer" not in item.note and "rep's side was not recorded" in item.note for item in missing)
