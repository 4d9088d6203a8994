"""Which speaker is the rep and which the customer, when the recording does not say.

The rule: count rep cue phrases (how reps introduce themselves, their company and their offer, in English and
Russian) in each speaker's words; the speaker with the most is the rep. On a tie (including no cues at all) the call
direction decides: on an inbound call the rep answers, so the first speaker is the rep; on an outbound call the
customer picks up and speaks first, so the second speaker is the rep; with the direction unknown, the first speaker.
`rep_speaker="first"` or `"second"` overrides the rule. Every speaker who is not the rep is the customer side.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from models import CallDirection, Role

RepSpeaker = Literal["auto", "first", "second"]

REP_CUES: dict[str, tuple[str, ...]] = {
    "en": (
        r"my name is",
        r"my name's",
        r"thank(?:s| you) for calling",
        r"how (?:can|may) i (?:help|assist)",
        r"this is \w+ (?:from|with|at)",
        r"calling from",
        r"calling on behalf of",
        r"our company",
        r"we offer",
        r"is this a good time",
        r"do you have a (?:minute|moment)",
    ),
    "ru": (
        r"меня зовут",
        r"компани[яиюе]",
        r"вас беспокоит",
        r"беспокою вас",
        r"спасибо за (?:звонок|обращение)",
        r"спасибо что (?:позвонили|обратились)",
        r"чем (?:я )?могу (?:вам )?(?:помочь|быть полез\w+)",
        r"мы предлагаем",
        r"можем (?:вам )?предложить",
        r"удобно (?:сейчас )?(?:говорить|разговаривать)",
        r"звоню (?:вам )?(?:из|от)",
    ),
}

_PATTERNS = [(cue, re.compile(rf"\b{cue}\b")) for cues in REP_CUES.values() for cue in cues]


@dataclass(frozen=True)
class RoleDecision:
    roles: dict[str, Role]
    rule: str


def normalise(text: str) -> str:
    """Lower case, 'ё' as 'е', punctuation as spaces: how cue phrases are matched."""
    text = text.lower().replace("ё", "е").replace("’", "'")
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def rep_cues_in(text: str) -> list[str]:
    """The rep cue phrases found in a speaker's words, one entry per occurrence, in the order they were said."""
    normalised = normalise(text)
    found = [(match.start(), match.group(0)) for _, pattern in _PATTERNS for match in pattern.finditer(normalised)]
    return [phrase for _, phrase in sorted(found)]


def decide_roles(
    speakers: Sequence[str],
    texts: dict[str, str],
    *,
    direction: CallDirection,
    rep_speaker: RepSpeaker = "auto",
) -> RoleDecision:
    """Roles for `speakers` (in the order they first speak) from what each said (`texts`: speaker → words)."""
    if rep_speaker not in ("auto", "first", "second"):
        raise ValueError(f"rep_speaker must be 'auto', 'first' or 'second', got {rep_speaker!r}")
    if not speakers:
        return RoleDecision(roles={}, rule="no speech found: no roles")
    if len(speakers) == 1:
        return _decision(speakers, speakers[0], f"only one speaker found: {speakers[0]} is taken as the rep")
    if rep_speaker != "auto":
        rep = _by_position(speakers, rep_speaker)
        return _decision(speakers, rep, f"override: the {rep_speaker} speaker ({rep}) is the rep")
    hits = {speaker: rep_cues_in(texts.get(speaker, "")) for speaker in speakers}
    best = max(len(found) for found in hits.values())
    leaders = [speaker for speaker in speakers if len(hits[speaker]) == best]
    if best > 0 and len(leaders) == 1:
        rep = leaders[0]
        counts = ", ".join(f"{speaker} {len(hits[speaker])}" for speaker in speakers)
        quoted = ", ".join(f"'{cue}'" for cue in dict.fromkeys(hits[rep]))
        return _decision(speakers, rep, f"rep cue phrases ({counts}): {rep} said most ({quoted}), so is the rep")
    tie = f"rep cue phrases tie ({best} each)"
    if direction == CallDirection.outbound:
        rep = _by_position(speakers, "second")
        rule = f"{tie}; outbound call, the customer answers: the second speaker ({rep}) is the rep"
    elif direction == CallDirection.inbound:
        rep = _by_position(speakers, "first")
        rule = f"{tie}; inbound call, the rep answers: the first speaker ({rep}) is the rep"
    else:
        rep = _by_position(speakers, "first")
        rule = f"{tie}; direction unknown: the first speaker ({rep}) is the rep"
    return _decision(speakers, rep, rule)


def _by_position(speakers: Sequence[str], position: Literal["first", "second"]) -> str:
    return speakers[1] if position == "second" else speakers[0]


def _decision(speakers: Sequence[str], rep: str, rule: str) -> RoleDecision:
    roles = {speaker: Role.rep if speaker == rep else Role.customer for speaker in speakers}
    return RoleDecision(roles=roles, rule=rule)
