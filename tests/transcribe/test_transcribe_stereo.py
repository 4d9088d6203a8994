"""Calls recorded one side per channel: recognised on the mix, each word given to its side, or channel by channel.

The two-sided call here is made from pyannote's real two-party sample: each channel holds the sample where its
speaker talks (by the reference turns), plus the other side as faint cross-talk (-30 dB), as phone systems record.
"""

import numpy as np
import pytest

from tests.support.fixtures_audio import MONO_WAV, STEREO_WAV, normalise
from transcribe import SAMPLE_RATE, DecodedAudio, StereoRecognition, decode, transcribe_call
from transcribe.core import DOUBLE_TALK_SHARE
from transcribe.sides import ChannelEnergy, double_talk_share

CROSS_TALK = 10 ** (-30 / 20)


def _turns() -> list[tuple[float, float, str]]:
    rows = [line.split() for line in MONO_WAV.with_suffix(".rttm").read_text().splitlines() if line.strip()]
    return [(float(row[3]), float(row[3]) + float(row[4]), row[7]) for row in rows]


@pytest.fixture(scope="module")
def two_sided() -> tuple[DecodedAudio, list[str]]:
    """The sample split into two channels by speaker; returns it and the speaker on each channel."""
    mono = decode(MONO_WAV)
    speakers = sorted({speaker for _, _, speaker in _turns()})
    sides = np.zeros((2, mono.samples.shape[1]), dtype=np.float32)
    for start, end, speaker in _turns():
        span = slice(int(start * SAMPLE_RATE), int(end * SAMPLE_RATE))
        sides[speakers.index(speaker), span] = mono.samples[0, span]
    sides = sides + CROSS_TALK * sides[::-1]
    return DecodedAudio(samples=sides.astype(np.float32), info=mono.info.model_copy(update={"channels": 2})), speakers


def test_turn_taking_is_told_from_two_people_talking_over_each_other(two_sided):
    audio, _ = two_sided
    conversation = double_talk_share(ChannelEnergy.of(list(audio.samples), SAMPLE_RATE))
    overlaid = double_talk_share(ChannelEnergy.of(list(decode(STEREO_WAV).samples), SAMPLE_RATE))
    print(f"both sides talking at once: sample call {conversation:.1%}, overlaid recording {overlaid:.1%}")
    assert conversation < DOUBLE_TALK_SHARE < overlaid


def test_a_call_recognised_on_the_mix_has_plain_faster_whispers_words_each_on_its_speakers_channel(
    two_sided, whisper_backend, plain_whisper
):
    audio, speakers = two_sided
    transcript = transcribe_call(audio, whisper_backend, language="en")
    assert transcript.channels == 2

    mix = np.ascontiguousarray(audio.samples.mean(axis=0), dtype=np.float32)
    segments, _ = plain_whisper.transcribe(mix, beam_size=5, vad_filter=True, language="en")
    assert normalise(transcript.text) == normalise(" ".join(segment.text for segment in segments))

    judged = right = 0
    for word in transcript.words:
        middle = (word.start + word.end) / 2
        talking = {speaker for start, end, speaker in _turns() if start <= middle <= end}
        if len(talking) == 1:
            judged += 1
            right += speakers[word.channel] in talking
    print(f"words on their speaker's channel: {right}/{judged}")
    assert judged >= 0.8 * len(transcript.words)
    assert right / judged >= 0.9
    assert {word.channel for word in transcript.words} == {0, 1}


def test_overlaid_talkers_are_recognised_channel_by_channel(whisper_backend):
    audio = decode(STEREO_WAV)
    automatic = transcribe_call(audio, whisper_backend, language="en")
    by_channel = transcribe_call(audio, whisper_backend, language="en", stereo=StereoRecognition.channels)
    assert [(w.text, w.channel) for w in automatic.words] == [(w.text, w.channel) for w in by_channel.words]
    assert {word.channel for word in automatic.words} == {0, 1}
