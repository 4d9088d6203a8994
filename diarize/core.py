"""The speaker split of a call: who said each word, and who is the rep."""

import logging

import numpy as np

import models
from diarize.assign import attribute_words, channel_speaker, channel_turns, first_appearance, group_utterances
from diarize.channel_levels import unrecorded_channels
from diarize.diarizer import Diarizer, Turn
from diarize.machine_voices import machine_voices
from diarize.roles import RepSpeaker, RoleDecision, decide_roles
from models.errors import BadInput

logger = logging.getLogger(__name__)

PHONE_CALL_MIN_SPEAKERS = 1
PHONE_CALL_EXPECTED_SPEAKERS = 2
ONE_SIDED_PAUSE_S = 1.5
ONE_SIDED_MIN_PAUSES = 3
ONE_SIDED_PAUSE_SHARE = 0.2


class SpeakerSplitError(BadInput, ValueError):
    """The audio and transcript given cannot be split by speaker."""


def split_speakers(
    samples: np.ndarray,
    sample_rate: int,
    transcript: models.Transcript,
    *,
    layout: models.ChannelLayout | None,
    direction: models.CallDirection,
    diarizer: Diarizer | None,
    rep_speaker: RepSpeaker = "auto",
    num_speakers: int | None = None,
) -> models.Conversation:
    """Split a call into speakers' utterances tagged rep or customer.

    Per-channel transcripts (`transcript.channels == 2`): one speaker per channel ('channel_0', 'channel_1'), turns
    from each channel's words; roles from `layout`, else by the rule in `diarize.roles`. A channel that carries no
    one (`diarize.channel_levels`) makes the call one-sided: only the other channel's speaker has a role.
    Single-channel transcripts: `diarizer` on the mono mix, two speakers expected but more or one taken where the
    audio shows them (`diarize.clustering`) unless `num_speakers` says how many, speakers named 'speaker_1',
    'speaker_2'... in the order they first speak, roles by the rule in `diarize.roles`.
    """
    audio = _as_channels(samples)
    if sample_rate <= 0:
        raise SpeakerSplitError(f"sample rate must be positive, got {sample_rate}")
    duration = audio.shape[1] / sample_rate
    if transcript.channels == 2:
        if audio.shape[0] < 2:
            raise SpeakerSplitError(f"transcript was recognised per channel (2) but the audio has {audio.shape[0]}")
        silent = unrecorded_channels(audio[:2], sample_rate)
        return _by_channels(transcript, duration, silent, layout=layout, direction=direction, rep_speaker=rep_speaker)
    if transcript.channels != 1:
        raise SpeakerSplitError(f"only 1- or 2-channel transcripts can be split, got {transcript.channels} channels")
    if diarizer is None:
        raise SpeakerSplitError("a single-channel call needs a diarizer to find its speakers, none was given")
    # A mono call is passed as a view: averaging one row would copy the whole call for the same values.
    mono = audio[0] if audio.shape[0] == 1 else audio.mean(axis=0)
    return _by_diarization(
        mono,
        sample_rate,
        transcript,
        duration,
        diarizer=diarizer,
        direction=direction,
        rep_speaker=rep_speaker,
        num_speakers=num_speakers,
    )


def _as_channels(samples: np.ndarray) -> np.ndarray:
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[np.newaxis, :]
    if audio.ndim != 2 or audio.shape[0] < 1:
        raise SpeakerSplitError(f"audio must be (channels, samples), got shape {np.shape(samples)}")
    return audio


def _by_channels(
    transcript: models.Transcript,
    duration: float,
    silent: list[int],
    *,
    layout: models.ChannelLayout | None,
    direction: models.CallDirection,
    rep_speaker: RepSpeaker,
) -> models.Conversation:
    words = transcript.words
    unknown = sorted({word.channel for word in words} - {0, 1})
    if unknown:
        raise SpeakerSplitError(f"stereo transcript has words on channels {unknown}; only 0 and 1 exist")
    turns = channel_turns(words)
    speakers = [channel_speaker(channel) for channel in (0, 1)]
    labels = [channel_speaker(word.channel) for word in words]
    if silent:
        return _one_channel(transcript, duration, silent[0], turns, labels, layout=layout, direction=direction)
    if layout is not None:
        rep, customer = channel_speaker(layout.rep), channel_speaker(layout.customer)
        decision = RoleDecision(
            roles={rep: models.Role.rep, customer: models.Role.customer},
            rule=f"channel layout: channel {layout.rep} is the rep, channel {layout.customer} the customer",
        )
    else:
        spoken_first = first_appearance(turns)
        ordered = spoken_first + [speaker for speaker in speakers if speaker not in spoken_first]
        decision = decide_roles(ordered, _texts(words, labels), direction=direction, rep_speaker=rep_speaker)
        decision = RoleDecision(roles=decision.roles, rule=f"no channel layout given; {decision.rule}")
    return _conversation(transcript, duration, "channels", decision, turns, labels)


def _one_channel(
    transcript: models.Transcript,
    duration: float,
    silent: int,
    turns: list[Turn],
    labels: list[str],
    *,
    layout: models.ChannelLayout | None,
    direction: models.CallDirection,
) -> models.Conversation:
    """A per-channel call with one channel unrecorded: the other channel's speaker is the only one with a role."""
    recorded = 1 - silent
    speaker = channel_speaker(recorded)
    why = f"one-sided recording: channel {silent} carries no voice (silence or line noise only)"
    if layout is not None:
        role = models.Role.rep if layout.rep == recorded else models.Role.customer
        decision = RoleDecision(
            roles={speaker: role}, rule=f"{why}; channel layout: channel {recorded} is the {role.value}"
        )
    else:
        found = decide_roles([speaker], _texts(transcript.words, labels), direction=direction, one_sided=True)
        decision = RoleDecision(roles=found.roles, rule=f"{why}; {found.rule}")
    logger.info("per-channel call: %s", decision.rule)
    conversation = _conversation(transcript, duration, "channels", decision, turns, labels)
    return conversation.model_copy(update={"one_sided": True})


def _by_diarization(
    mono: np.ndarray,
    sample_rate: int,
    transcript: models.Transcript,
    duration: float,
    *,
    diarizer: Diarizer,
    direction: models.CallDirection,
    rep_speaker: RepSpeaker,
    num_speakers: int | None,
) -> models.Conversation:
    if num_speakers is not None:
        found = diarizer.diarize(mono, sample_rate, num_speakers=num_speakers)
    else:
        found = diarizer.diarize(
            mono, sample_rate, min_speakers=PHONE_CALL_MIN_SPEAKERS, expected_speakers=PHONE_CALL_EXPECTED_SPEAKERS
        )
    names = {label: f"speaker_{index}" for index, label in enumerate(first_appearance(found), start=1)}
    turns = [(start, end, names[label]) for start, end, label in sorted(found)]
    if not turns and transcript.words:
        logger.warning("diarization found no speech in a call with %d words: one speaker", len(transcript.words))
    labels = attribute_words(transcript.words, turns, default="speaker_1")
    speakers = first_appearance(turns) or sorted(set(labels))
    texts = _texts(transcript.words, labels)
    machines = machine_voices(speakers, texts)
    people = [speaker for speaker in speakers if speaker not in machines]
    one_sided = len(people) == 1 and is_one_sided([turn for turn in turns if turn[2] == people[0]])
    decision = decide_roles(people, texts, direction=direction, rep_speaker=rep_speaker, one_sided=one_sided)
    if machines:
        named = ", ".join(f"{speaker} ({kind})" for speaker, kind in machines.items())
        rule = f"{decision.rule}; not people in the call: {named}" if people else f"no person speaks, only {named}"
        decision = RoleDecision(roles=decision.roles, rule=rule)
    logger.info("diarizer %s found %d speakers in %.0f s; %s", diarizer.name, len(speakers), duration, decision.rule)
    conversation = _conversation(transcript, duration, "diarization", decision, turns, labels)
    return conversation.model_copy(update={"non_speakers": machines, "one_sided": one_sided})


def is_one_sided(turns: list[Turn]) -> bool:
    """Whether one voice's turns leave the pauses where an unrecorded other side would speak: at least
    `ONE_SIDED_MIN_PAUSES` pauses of `ONE_SIDED_PAUSE_S` or more, together a fifth of the time from its first word to
    its last. A monologue (a voicemail left, a recorded announcement) pauses too rarely."""
    spans = sorted((start, end) for start, end, _ in turns)
    if not spans:
        return False
    pauses, reach = [], spans[0][1]
    for start, end in spans[1:]:
        if start - reach >= ONE_SIDED_PAUSE_S:
            pauses.append(start - reach)
        reach = max(reach, end)
    span = reach - spans[0][0]
    return len(pauses) >= ONE_SIDED_MIN_PAUSES and span > 0 and sum(pauses) >= ONE_SIDED_PAUSE_SHARE * span


def _texts(words: list[models.Word], labels: list[str]) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    for word, label in zip(words, labels, strict=True):
        texts.setdefault(label, []).append(word.text.strip())
    return {label: " ".join(parts) for label, parts in texts.items()}


def _conversation(
    transcript: models.Transcript,
    duration: float,
    method: str,
    decision: RoleDecision,
    turns: list[Turn],
    labels: list[str],
) -> models.Conversation:
    return models.Conversation(
        language=transcript.language,
        duration_s=duration,
        method=method,
        role_rule=decision.rule,
        roles=decision.roles,
        turns=turns,
        utterances=group_utterances(transcript.words, labels, decision.roles, overlapping=method == "channels"),
    )
