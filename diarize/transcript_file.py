"""A conversation from a transcript made elsewhere: a PBX's speech analytics, another recogniser, a chat export.

Two forms are read:
- JSON: a list of utterances, or an object with `utterances` (and optionally `language`). Each utterance has
  `text` and either `role` (rep or customer, or another name for either: agent, client, менеджер, клиент …) or
  `speaker` (any label; the rep is then found by the same cue rule a recording's speakers get), and optionally
  `start` and `end` in seconds.
- Plain text: one utterance per line, `rep: …` or `customer: …` (or another name for either); blank lines and
  lines starting with `#` are skipped.

Text without times is spoken at a steady `WORD_S` seconds per word with `LINE_PAUSE_S` between lines, so talk
ratios and monologue lengths keep their meaning; a role's consecutive lines stay separate utterances.
"""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from diarize.roles import decide_roles
from models import CallDirection, Conversation, Role, Utterance, Word
from models.errors import BadInput

WORD_S = 0.4
LINE_PAUSE_S = 0.6
ROLE_NAMES: dict[str, Role] = {
    **dict.fromkeys(("rep", "agent", "manager", "operator", "seller", "sales"), Role.rep),
    **dict.fromkeys(("менеджер", "оператор", "продавец", "сотрудник"), Role.rep),
    **dict.fromkeys(("customer", "client", "caller", "buyer", "prospect"), Role.customer),
    **dict.fromkeys(("клиент", "покупатель", "абонент", "звонящий"), Role.customer),
}
_LINE = re.compile(r"^\s*([^:]{1,40}?)\s*:\s*(.*)$")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


class TranscriptFileError(BadInput, ValueError):
    """The transcript cannot be read; the message names the line or utterance and what is wrong with it."""


@dataclass(frozen=True)
class Turn:
    """One utterance as the file gives it: a role or a speaker label, the words, and times where known."""

    text: str
    role: Role | None = None
    speaker: str | None = None
    start: float | None = None
    end: float | None = None


def read_transcript(
    text: str, *, language: str | None = None, direction: CallDirection = CallDirection.unknown
) -> Conversation:
    """The conversation in a transcript file's text, JSON or plain lines (see the module's docstring)."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise TranscriptFileError("the transcript is empty")
    if stripped[0] in "[{":
        turns, file_language = _json_turns(stripped)
    else:
        turns, file_language = _plain_turns(stripped), None
    language = language or file_language or guess_language(turn.text for turn in turns)
    return conversation_from_turns(turns, language, direction)


def guess_language(texts: Iterable[str]) -> str:
    """'ru' when Cyrillic letters outnumber Latin ones, else 'en'."""
    joined = " ".join(texts)
    return "ru" if len(_CYRILLIC.findall(joined)) > len(_LATIN.findall(joined)) else "en"


def role_named(label: str) -> Role | None:
    return ROLE_NAMES.get(label.strip().lower())


def _plain_turns(text: str) -> list[Turn]:
    turns = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        role = role_named(match.group(1)) if match else None
        if match is None or role is None:
            shown = line.strip() if len(line.strip()) <= 60 else line.strip()[:57] + "..."
            raise TranscriptFileError(
                f"line {number}: expected 'rep: …' or 'customer: …' (or agent, client, менеджер, клиент), got {shown!r}"
            )
        if not match.group(2).strip():
            raise TranscriptFileError(f"line {number}: no words after '{match.group(1)}:'")
        turns.append(Turn(text=match.group(2).strip(), role=role))
    if not turns:
        raise TranscriptFileError("the transcript has no utterances")
    return turns


def _json_turns(text: str) -> tuple[list[Turn], str | None]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptFileError(f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    language = None
    if isinstance(data, dict):
        language = data.get("language")
        if language is not None and language not in ("ru", "en"):
            raise TranscriptFileError(f"language: expected 'ru' or 'en', got {language!r}")
        data = data.get("utterances")
    if not isinstance(data, list) or not data:
        raise TranscriptFileError("expected a list of utterances, or an object with a non-empty 'utterances' list")
    return [_json_turn(number, raw) for number, raw in enumerate(data, start=1)], language


def _json_turn(number: int, raw: object) -> Turn:
    where = f"utterance {number}"
    if not isinstance(raw, dict):
        raise TranscriptFileError(f"{where}: expected an object with 'text' and 'role' or 'speaker'")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise TranscriptFileError(f"{where}: 'text' missing or empty")
    role = None
    if raw.get("role") is not None:
        role = role_named(str(raw["role"]))
        if role is None:
            raise TranscriptFileError(f"{where}: role {raw['role']!r} is neither the rep nor the customer")
    speaker = raw.get("speaker")
    if role is None and (speaker is None or not str(speaker).strip()):
        raise TranscriptFileError(f"{where}: needs a 'role' (rep or customer) or a 'speaker' label")
    times = []
    for key in ("start", "end"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            raise TranscriptFileError(f"{where}: '{key}' must be a number of seconds, got {value!r}")
        times.append(value)
    start, end = times
    if start is not None and end is not None and end < start:
        raise TranscriptFileError(f"{where}: ends ({end}) before it starts ({start})")
    return Turn(text=text.strip(), role=role, speaker=str(speaker).strip() if speaker else None, start=start, end=end)


def conversation_from_turns(
    turns: Sequence[Turn], language: str, direction: CallDirection = CallDirection.unknown
) -> Conversation:
    """A Conversation from the file's turns; speakers without a role get one from the rep cue rule."""
    timed = _timed(turns)
    labels = [turn.speaker or turn.role.value for turn in turns]  # type: ignore[union-attr]  # one is set
    roles: dict[str, Role] = {}
    rule = "roles as given in the transcript"
    unlabelled = list(dict.fromkeys(label for label, turn in zip(labels, turns, strict=True) if turn.role is None))
    if unlabelled:
        texts = {s: " ".join(t.text for t, label in zip(turns, labels, strict=True) if label == s) for s in unlabelled}
        decision = decide_roles(unlabelled, texts, direction=direction)
        roles.update(decision.roles)
        rule = f"speakers of the transcript: {decision.rule}"
    for label, turn in zip(labels, turns, strict=True):
        if turn.role is not None:
            roles[label] = turn.role
    utterances = [
        Utterance(speaker=label, role=roles[label], start=words[0].start, end=words[-1].end, words=words)
        for label, words in zip(labels, timed, strict=True)
    ]
    utterances.sort(key=lambda u: u.start)
    return Conversation(
        language=language,
        duration_s=round(max(u.end for u in utterances) + 1.0, 3),
        method="transcript",
        role_rule=rule,
        roles=roles,
        turns=[(u.start, u.end, u.speaker) for u in utterances],
        utterances=utterances,
    )


def _timed(turns: Sequence[Turn]) -> list[list[Word]]:
    """Each turn's words spread evenly over its times, or over a steady pace after the previous turn."""
    clock = 0.5
    timed = []
    for turn in turns:
        parts = turn.text.split()
        start, end = turn.start, turn.end
        if start is None or end is None or end <= start:
            start = clock if start is None else start
            end = start + WORD_S * len(parts)
        step = (end - start) / len(parts)
        timed.append(
            [
                Word(
                    text=part,
                    start=round(start + i * step, 3),
                    end=round(start + (i + 1) * step - 0.01, 3),
                    probability=1.0,
                )
                for i, part in enumerate(parts)
            ]
        )
        clock = max(clock, end + LINE_PAUSE_S)
    return timed
