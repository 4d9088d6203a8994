"""Per-channel calls: one speaker per channel, roles from the channel layout or the cue-phrase rule."""

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from diarize import SpeakerSplitError, split_speakers
from diarize.channel_levels import unrecorded_channels
from models import CallDirection, ChannelLayout, Role, Transcript, Word
from summarize.scorecard import missing_side

DATA = Path(__file__).parents[1] / "data"
FRAME_S = 0.02
SPEECH_BELOW_PEAK_DB = 25.0


def speech_region(channel: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """First to last frame within SPEECH_BELOW_PEAK_DB of the channel's loudest frame."""
    size = int(FRAME_S * sample_rate)
    frames = channel[: len(channel) // size * size].reshape(-1, size)
    level = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)
    active = np.flatnonzero(level > level.max() - SPEECH_BELOW_PEAK_DB)
    return float(active[0] * FRAME_S), float((active[-1] + 1) * FRAME_S)


def spread(text: str, start: float, end: float, channel: int) -> list[Word]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return [
        Word(text=token, start=start + i * step, end=start + (i + 0.9) * step, probability=0.9, channel=channel)
        for i, token in enumerate(tokens)
    ]


@pytest.fixture(scope="module")
def stereo_call() -> tuple[np.ndarray, int, dict[int, str], Transcript]:
    samples, sample_rate = sf.read(DATA / "fw_stereo_diarization.wav", dtype="float32", always_2d=True)
    audio = samples.T
    with (DATA / "fw_stereo_diarization.tsv").open(encoding="utf-8") as file:
        texts = {0 if row["channel"] == "left" else 1: row["text"] for row in csv.DictReader(file, delimiter="\t")}
    words = [
        word
        for channel, text in texts.items()
        for word in spread(text, *speech_region(audio[channel], sample_rate), channel)
    ]
    transcript = Transcript(
        language="en",
        language_probability=1.0,
        duration_s=audio.shape[1] / sample_rate,
        channels=2,
        words=sorted(words, key=lambda w: w.start),
    )
    return audio, sample_rate, texts, transcript


def test_each_channel_is_one_speaker_with_roles_from_the_layout(stereo_call):
    audio, sample_rate, texts, transcript = stereo_call
    conversation = split_speakers(
        audio,
        sample_rate,
        transcript,
        layout=ChannelLayout(rep=1, customer=0),
        direction=CallDirection.unknown,
        diarizer=None,
    )
    assert conversation.method == "channels" and not conversation.one_sided
    assert conversation.roles == {"channel_1": Role.rep, "channel_0": Role.customer}
    assert "channel layout" in conversation.role_rule
    assert {u.speaker for u in conversation.utterances} == {"channel_0", "channel_1"}
    starts = [u.start for u in conversation.utterances]
    assert starts == sorted(starts)
    for channel, speaker in ((0, "channel_0"), (1, "channel_1")):
        said = " ".join(u.text for u in conversation.utterances if u.speaker == speaker)
        assert said == texts[channel]
        role = Role.rep if channel == 1 else Role.customer
        assert all(u.role == role for u in conversation.utterances if u.speaker == speaker)
    assert {speaker for _, _, speaker in conversation.turns} == {"channel_0", "channel_1"}
    assert conversation.duration_s == pytest.approx(5.0, abs=0.01)


def test_without_a_layout_the_cue_phrase_rule_picks_the_rep_channel(stereo_call):
    audio, sample_rate, _, transcript = stereo_call
    first_channel = transcript.words[0].channel
    tied = split_speakers(audio, sample_rate, transcript, layout=None, direction=CallDirection.outbound, diarizer=None)
    assert tied.roles[f"channel_{1 - first_channel}"] == Role.rep
    assert tied.role_rule.startswith("no channel layout given")
    greeting = spread("Thank you for calling Lakeside Motors, my name is Chris.", 0.0, 0.3, first_channel)
    with_cues = transcript.model_copy(update={"words": sorted(greeting + transcript.words, key=lambda w: w.start)})
    cued = split_speakers(audio, sample_rate, with_cues, layout=None, direction=CallDirection.outbound, diarizer=None)
    assert cued.roles[f"channel_{first_channel}"] == Role.rep
    assert "my name is" in cued.role_rule


def test_a_mono_call_without_a_diarizer_and_a_stereo_transcript_of_mono_audio_are_refused(stereo_call):
    audio, sample_rate, _, transcript = stereo_call
    with pytest.raises(SpeakerSplitError, match="the audio has 1"):
        split_speakers(audio[:1], sample_rate, transcript, layout=None, direction=CallDirection.inbound, diarizer=None)
    mono = transcript.model_copy(update={"channels": 1})
    with pytest.raises(SpeakerSplitError, match="needs a diarizer"):
        split_speakers(audio, sample_rate, mono, layout=None, direction=CallDirection.inbound, diarizer=None)


def _only_channel(transcript: Transcript, channel: int) -> Transcript:
    return transcript.model_copy(update={"words": [w for w in transcript.words if w.channel == channel]})


def test_a_stereo_call_with_one_channel_silent_or_only_line_noise_is_one_sided(stereo_call):
    audio, sample_rate, texts, transcript = stereo_call
    zeroed = audio.copy()
    zeroed[0] = 0.0
    layout = ChannelLayout(rep=1, customer=0)
    rep_only = split_speakers(
        zeroed, sample_rate, _only_channel(transcript, 1), layout=layout, direction=CallDirection.unknown, diarizer=None
    )
    assert rep_only.one_sided and rep_only.roles == {"channel_1": Role.rep}
    assert "channel 0 carries no voice" in rep_only.role_rule
    assert " ".join(u.text for u in rep_only.utterances) == texts[1]
    assert missing_side(rep_only) == Role.customer

    # Line noise at -55 dBFS on the other channel instead of the customer's voice; no layout: the cue rule decides.
    noisy = audio.copy()
    noisy[1] = np.random.default_rng(7).normal(0.0, 10 ** (-55 / 20), audio.shape[1]).astype(np.float32)
    customer_only = split_speakers(
        noisy, sample_rate, _only_channel(transcript, 0), layout=None, direction=CallDirection.unknown, diarizer=None
    )
    assert customer_only.one_sided and customer_only.roles == {"channel_0": Role.customer}
    assert "channel 1 carries no voice" in customer_only.role_rule and "one-sided recording" in customer_only.role_rule


def test_channel_levels_tell_a_dead_channel_from_a_quiet_one(stereo_call):
    audio, sample_rate, _, _ = stereo_call
    assert unrecorded_channels(audio, sample_rate) == []
    quiet = audio.copy()
    quiet[0] *= 10 ** (-20 / 20)  # a side recorded 20 dB lower still carries its voice
    assert unrecorded_channels(quiet, sample_rate) == []
    brief = audio.copy()
    start, _ = speech_region(audio[0], sample_rate)
    said = slice(int(start * sample_rate), int((start + 0.02 * audio.shape[1] / sample_rate) * sample_rate))
    brief[0] = 0.0
    brief[0, said] = audio[0, said]  # a side that speaks 2 % of the call ("yes", "fine") is still recorded
    assert unrecorded_channels(brief, sample_rate) == []
    echo = audio.copy()
    echo[0] = audio[1] * 10 ** (-40 / 20)  # the rep's voice leaking 40 dB down into a dead channel
    assert unrecorded_channels(echo, sample_rate) == [0]
    both_dead = np.zeros_like(audio)
    assert unrecorded_channels(both_dead, sample_rate) == []
