"""Labelled calls for the analyze-stage evaluation, built into Conversations.

Sets (read in place from `../shared/data`, never copied; the Russian set is in the repository):
- `hvb`: Harper Valley Bank calls (Apache-2.0): human transcripts with real turn times; labels: the caller's and
  the agent's name, the task type, its phone number and amount.
- `abcd`: ABCD customer-service chats (MIT): labels: the customer's name, e-mail, phone, username and order id
  where the chat mentions them, and script items from the agent's logged actions (`ABCD_ACTION_ITEMS`).
- `dialogsum`: DialogSum dialogues (CC BY-NC-SA 4.0): three human summaries each.
- `ru`: Russian sales calls written for evaluation (`eval_data/ru_calls/`): hand labels for items and fields.

Text without times is spoken at a steady `WORD_S` seconds per word with `LINE_PAUSE_S` between lines, one utterance
per line. A turn with a start and duration (Harper Valley) gets its words spread evenly over it, and a speaker's
turns with pauses no longer than the speaker split's (`diarize.assign.PAUSE_S`) become one utterance, as they would
coming from a recording: a caller dictating a phone number over three short turns is one utterance.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from benchmarks.recordings import ROOT
from diarize.assign import PAUSE_S
from models import Conversation, Role, Utterance, Word

SHARED_DATA = ROOT.parent / "shared" / "data"
EVAL_DATA = Path(__file__).parent / "eval_data"
WORD_S = 0.4
LINE_PAUSE_S = 0.6

# ABCD agent actions that show a script step was done (the agent logs them in its console as it follows the guideline).
ABCD_ACTION_ITEMS: dict[str, frozenset[str]] = {
    "identity_verification": frozenset({"pull-up-account", "verify-identity", "validate-purchase"}),
}


@dataclass
class EvalCall:
    set_name: str
    call_id: str
    conversation: Conversation
    fields: dict[str, list[str]] = field(default_factory=dict)
    field_kinds: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)


class DataMissing(RuntimeError):
    """A set's files are not where the evaluation reads them from."""


def _words(text: str, start: float, end: float) -> list[Word]:
    parts = text.split()
    step = (end - start) / len(parts)
    return [
        Word(text=part, start=round(start + i * step, 3), end=round(start + (i + 1) * step - 0.01, 3), probability=1.0)
        for i, part in enumerate(parts)
    ]


def _joined(utterances: list[Utterance], pause_s: float) -> list[Utterance]:
    """Consecutive utterances of one role with at most `pause_s` between them as one, as the speaker split does."""
    joined: list[Utterance] = []
    for utterance in utterances:
        previous = joined[-1] if joined else None
        if previous and previous.role == utterance.role and utterance.start - previous.end <= pause_s:
            joined[-1] = previous.model_copy(update={"end": utterance.end, "words": previous.words + utterance.words})
        else:
            joined.append(utterance)
    return joined


def conversation(
    language: str,
    turns: Sequence[tuple[Role, str, float | None, float | None]],
    join_within_s: float | None = None,
) -> Conversation:
    """A Conversation from (role, text, start_s, end_s) turns; missing times are synthesised at a steady pace.

    With `join_within_s`, a role's consecutive turns with no longer pause between them become one utterance.
    """
    utterances: list[Utterance] = []
    clock = 0.5
    for role, text, start, end in turns:
        if not text.split():
            continue
        if start is None or end is None or end <= start:
            start = clock
            end = start + WORD_S * len(text.split())
        words = _words(text, start, end)
        utterances.append(
            Utterance(speaker=role.value, role=role, start=words[0].start, end=words[-1].end, words=words)
        )
        clock = max(clock, end + LINE_PAUSE_S)
    utterances.sort(key=lambda u: u.start)
    if join_within_s is not None:
        utterances = _joined(utterances, join_within_s)
    return Conversation(
        language=language,
        duration_s=round(max(u.end for u in utterances) + 1.0, 3),
        method="channels",
        role_rule="dataset speaker labels",
        roles={"rep": Role.rep, "customer": Role.customer},
        turns=[(u.start, u.end, u.speaker) for u in utterances],
        utterances=utterances,
    )


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataMissing(
            f"{path} not found: the hvb, abcd and dialogsum sets are read from ../shared/data next to the project"
        )
    return path


def _hvb_turns(raw: dict) -> list[tuple[Role, str, float | None, float | None]]:
    turns = []
    for turn in raw["turns"]:
        role = Role.rep if turn["speaker_role"] == "agent" else Role.customer
        start = turn["start_ms"] / 1000
        turns.append((role, turn["human_transcript"], start, start + turn["duration_ms"] / 1000))
    return turns


def load_hvb(root: Path = SHARED_DATA) -> list[EvalCall]:
    calls = []
    for path in sorted(_require(root / "calls_en" / "hvb").glob("*.json")):
        raw = json.loads(path.read_text())
        meta = raw["metadata"]
        task = meta["tasks"][0]
        labels = {
            "caller_name": [meta["caller"]["metadata"]["first and last name"]],
            "agent_name": [meta["agent"]["metadata"]["agent_name"]],
            "task_type": [task["task_type"]],
            "customer_phone": [task["phone"]] if "phone" in task else [],
            "amount": [str(task[key]) for key in ("transfer amount", "money amount") if key in task],
        }
        kinds = {"customer_phone": "phone", "amount": "money"}
        conv = conversation("en", _hvb_turns(raw), join_within_s=PAUSE_S)
        calls.append(EvalCall("hvb", path.stem, conv, labels, kinds))
    return calls


def _abcd_items(actions: set[str]) -> dict[str, str]:
    return {item: "yes" if actions & names else "no" for item, names in ABCD_ACTION_ITEMS.items()}


def _said(value: str | None, text: str, digits: bool = False) -> list[str]:
    """`value` as a label when the dialogue mentions it: an ABCD scenario lists the customer's whole profile, and
    what was never said cannot be taken from the call."""
    if not value:
        return []
    if digits:
        wanted = re.sub(r"\D", "", value)
        return [value] if wanted and wanted in re.sub(r"\D", "", text) else []
    return [value] if " ".join(value.casefold().split()) in " ".join(text.casefold().split()) else []


def load_abcd(root: Path = SHARED_DATA) -> list[EvalCall]:
    dialogues = json.loads(_require(root / "text_en" / "abcd" / "abcd_sample.json").read_text())
    calls = []
    for dialogue in dialogues:
        personal, order = dialogue["scenario"]["personal"], dialogue["scenario"]["order"]
        turns = [
            (Role.rep if speaker == "agent" else Role.customer, text, None, None)
            for speaker, text in dialogue["original"]
            if speaker in ("agent", "customer")
        ]
        actions = {turn["targets"][2] for turn in dialogue["delexed"] if turn["speaker"] == "action"}
        said = " ".join(text for _, text in dialogue["original"])
        labels = {
            "caller_name": _said(personal.get("customer_name"), said),
            "customer_email": _said(personal.get("email"), said),
            "customer_phone": _said(personal.get("phone"), said, digits=True),
            "username": _said(personal.get("username"), said),
            "order_id": _said(order.get("order_id"), said),
        }
        kinds = {"customer_phone": "phone"}
        calls.append(
            EvalCall("abcd", str(dialogue["convo_id"]), conversation("en", turns), labels, kinds, _abcd_items(actions))
        )
    return calls


def load_dialogsum(root: Path = SHARED_DATA) -> list[EvalCall]:
    path = _require(root / "text_en" / "dialogsum" / "dialogsum_test_sales_service_subset.jsonl")
    calls = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        turns = []
        for row in raw["dialogue"].splitlines():
            speaker, _, text = row.partition(":")
            # The first speaker opens the exchange ("Can I help you?"): in these sales and service dialogues it is the
            # shop or service side.
            role = Role.rep if speaker.strip() == "#Person1#" else Role.customer
            turns.append((role, text.strip(), None, None))
        references = [raw[key] for key in ("summary1", "summary2", "summary3") if raw.get(key)]
        calls.append(EvalCall("dialogsum", raw["fname"], conversation("en", turns), references=references))
    return calls


def _ru_values(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_ru(folder: Path = EVAL_DATA / "ru_calls") -> list[EvalCall]:
    calls = []
    for path in sorted(folder.glob("ru_*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        turns = [(Role(role), text, None, None) for role, text in raw["lines"]]
        labels = {name: _ru_values(value) for name, value in raw["fields"].items()}
        kinds = {"budget": "money", "customer_phone": "phone"}
        calls.append(EvalCall("ru", raw["id"], conversation("ru", turns), labels, kinds, dict(raw["items"])))
    return calls


LOADERS = {"hvb": load_hvb, "abcd": load_abcd, "dialogsum": load_dialogsum, "ru": load_ru}


def five_minute_call(root: Path = SHARED_DATA) -> Conversation:
    """Harper Valley calls played back to back, with their real turn times, until the call lasts 5 minutes."""
    turns: list[tuple[Role, str, float | None, float | None]] = []
    offset = 0.0
    for path in sorted(_require(root / "calls_en" / "hvb").glob("*.json")):
        call_turns = _hvb_turns(json.loads(path.read_text()))
        for role, text, start, end in call_turns:
            if offset + (end or 0) > 300:
                return conversation("en", turns, join_within_s=PAUSE_S)
            turns.append((role, text, offset + (start or 0), offset + (end or 0)))
        offset += max(end or 0 for _, _, _, end in call_turns) + 1.0
    return conversation("en", turns, join_within_s=PAUSE_S)
