"""Which speaker is the rep and which the customer, when the recording does not say.

The rule: count rep cue phrases in each speaker's words; the speaker with the most is the rep. Cues are what reps
say, in English and Russian: how they greet the caller and introduce themselves, their company and their offer,
and how they serve the caller during the call (asking for the caller's name or number, offering more help,
confirming a booking). A self-introduction ("my name is", "меня зовут") counts only among the speaker's first
`OPENING_WORDS` words: reps introduce themselves as they open the call, while customers give their name later,
when the rep asks for it for a booking or an order. On a tie (including no cues at all) the call direction decides:
on an inbound call the rep answers, so the first speaker is the rep; on an outbound call the customer picks up and
speaks first, so the second speaker is the rep; with the direction unknown, the first speaker.
`rep_speaker="first"` or `"second"` overrides the rule.

With more than two speakers (a transfer, a conference call) the rule above names the first rep; of the others, the
one with the fewest rep cues (on a tie, the most words) is the customer, and each remaining speaker who said any rep
cue is a rep too (the second agent after a transfer introduces themselves), the rest the customer's side (their
colleague, their director). With one speaker, a one-sided recording (only one side recorded, silent where the other
speaks) is the rep if it said any rep cue and the customer otherwise; any other single speaker is taken as the rep.

On the two SpokenWOZ stereo calls of `benchmarks/speech_eval.py` the rule names the agent the rep on both, though on
one the agent never introduces herself and the caller says "my name is" for a booking: role accuracy per reference
word 75.7 % and 75.8 % (words no recognised turn covers count as wrong; `benchmarks/results/speech_eval_cpu.md`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from models import CallDirection, Role

RepSpeaker = Literal["auto", "first", "second"]

INTRODUCTION_CUES: dict[str, tuple[str, ...]] = {
    "en": (r"my name is", r"my name's", r"this is \w+ (?:from|with|at)"),
    "ru": (r"меня зовут",),
}
"""Self-introductions: rep cues only within the speaker's opening."""

OPENING_WORDS = 30
"""How many of a speaker's first words make their opening (a rep's greeting and introduction fit in it)."""

REP_CUES: dict[str, tuple[str, ...]] = {
    "en": (
        *INTRODUCTION_CUES["en"],
        r"thank(?:s| you) for calling",
        r"how (?:can|may) i (?:help|assist)",
        r"what can i do for you",
        r"anything else (?:that )?i can (?:help|do|assist)",
        r"may i have your",
        r"could you (?:please )?spell",
        r"your (?:reservation|booking|order) (?:is|has been) (?:confirmed|successful|placed)",
        r"calling from",
        r"calling on behalf of",
        r"our company",
        r"we offer",
        r"is this a good time",
        r"do you have a (?:minute|moment)",
    ),
    "ru": (
        *INTRODUCTION_CUES["ru"],
        r"компани[яиюе]",
        r"вас беспокоит",
        r"беспокою вас",
        r"спасибо за (?:звонок|обращение)",
        r"спасибо что (?:позвонили|обратились)",
        r"чем (?:еще )?(?:я )?могу (?:вам )?(?:еще )?(?:помочь|быть полез\w+)",
        r"как (?:я могу )?к вам обращаться",
        r"продиктуйте",
        r"ваш[аи]? (?:заказ|заявка|бронь) (?:оформлен|принят|подтвержден)\w*",
        r"мы предлагаем",
        r"можем (?:вам )?предложить",
        r"удобно (?:сейчас )?(?:говорить|разговаривать)",
        r"звоню (?:вам )?(?:из|от)",
    ),
}

_INTRODUCTIONS = {cue for cues in INTRODUCTION_CUES.values() for cue in cues}
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
    """The rep cue phrases in a speaker's words (given in time order), one entry per occurrence, in the order they
    were said; a self-introduction only when it starts within the speaker's first OPENING_WORDS words."""
    normalised = normalise(text)
    opening_end = _word_offset(normalised, OPENING_WORDS)
    found = [
        (match.start(), match.group(0))
        for cue, pattern in _PATTERNS
        for match in pattern.finditer(normalised)
        if cue not in _INTRODUCTIONS or match.start() < opening_end
    ]
    return [phrase for _, phrase in sorted(found)]


def _word_offset(text: str, count: int) -> int:
    """Where the word after the first `count` words of a normalised text starts (its length if it is shorter)."""
    position = 0
    for _ in range(count):
        space = text.find(" ", position)
        if space < 0:
            return len(text)
        position = space + 1
    return position


def decide_roles(
    speakers: Sequence[str],
    texts: dict[str, str],
    *,
    direction: CallDirection,
    rep_speaker: RepSpeaker = "auto",
    one_sided: bool = False,
) -> RoleDecision:
    """Roles for `speakers` (in the order they first speak) from what each said (`texts`: speaker → words)."""
    if rep_speaker not in ("auto", "first", "second"):
        raise ValueError(f"rep_speaker must be 'auto', 'first' or 'second', got {rep_speaker!r}")
    if not speakers:
        return RoleDecision(roles={}, rule="no speech found: no roles")
    if len(speakers) == 1:
        return _single(speakers[0], texts, one_sided=one_sided)
    decision = _first_rep(speakers, texts, direction=direction, rep_speaker=rep_speaker)
    if len(speakers) > 2:
        return _more_voices(speakers, texts, decision)
    return decision


def _single(speaker: str, texts: dict[str, str], *, one_sided: bool) -> RoleDecision:
    if not one_sided:
        return _decision([speaker], speaker, f"only one speaker found: {speaker} is taken as the rep")
    cues = rep_cues_in(texts.get(speaker, ""))
    if cues:
        quoted = ", ".join(f"'{cue}'" for cue in dict.fromkeys(cues))
        return _decision(
            [speaker], speaker, f"one-sided recording: {speaker} said rep cue phrases ({quoted}), so is the rep"
        )
    return RoleDecision(
        roles={speaker: Role.customer},
        rule=f"one-sided recording: {speaker} said no rep cue phrase, so is the customer",
    )


def _more_voices(speakers: Sequence[str], texts: dict[str, str], decision: RoleDecision) -> RoleDecision:
    rep = next(speaker for speaker, role in decision.roles.items() if role == Role.rep)
    cues = {speaker: len(rep_cues_in(texts.get(speaker, ""))) for speaker in speakers}
    others = [speaker for speaker in speakers if speaker != rep]
    customer = min(others, key=lambda speaker: (cues[speaker], -len(texts.get(speaker, "").split())))
    more_reps = [speaker for speaker in others if speaker != customer and cues[speaker] > 0]
    roles = {speaker: Role.rep if speaker == rep or speaker in more_reps else Role.customer for speaker in speakers}
    also = f"; {', '.join(more_reps)} said rep cues too, so are reps" if more_reps else ""
    side = [speaker for speaker in others if roles[speaker] == Role.customer and speaker != customer]
    with_them = f"; {', '.join(side)} on the customer's side" if side else ""
    rule = f"{decision.rule}; {customer} said fewest rep cues, so is the customer{also}{with_them}"
    return RoleDecision(roles=roles, rule=rule)


def _first_rep(
    speakers: Sequence[str], texts: dict[str, str], *, direction: CallDirection, rep_speaker: RepSpeaker
) -> RoleDecision:
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
