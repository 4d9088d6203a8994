"""The blind-written evaluation set (`eval_set/`): its calls by part, as transcript text and call details.

The test part is frozen: `eval_set/test_part.sha256` holds the digest of its files, and reading the test part
checks it first, so a changed or added test call is noticed before any figure is reported. Reading the dev part
never opens a test file, so tuning on dev cannot read the test part by accident.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from models import CallDirection, CallInfo

EVAL_SET = Path(__file__).parent / "eval_set"
CALLS = EVAL_SET / "calls"
FROZEN = EVAL_SET / "test_part.sha256"
PARTS = ("dev", "test")
TIME_ZONES = {"ru": "Europe/Moscow", "en": "America/New_York"}
SCRIPTS = {"ru": "ru_b2b_discovery", "en": "en_b2b_discovery"}


class FrozenPartChanged(RuntimeError):
    """The test part's files differ from the digest committed when it was frozen."""


@dataclass
class BlindCall:
    id: str
    language: str
    part: str
    scenario: dict
    lines: list[tuple[str, str]]
    items: dict[str, str]
    fields: dict
    signals: dict[str, bool]

    @property
    def transcript_text(self) -> str:
        """The call as a plain `rep: …` / `customer: …` transcript, the form `callintel analyze` reads."""
        return "\n".join(f"{role}: {' '.join(text.split())}" for role, text in self.lines) + "\n"

    @property
    def catalogue(self) -> dict[str, list[str]]:
        """The seller's products as its team would configure them (`callintel catalogue`): names, no synonyms."""
        return {str(name): [] for name in (self.scenario.get("seller") or {}).get("catalogue") or []}

    @property
    def call_info(self) -> CallInfo:
        """The call's details as telephony would give them: its start (noon on the call's day, in the team's time
        zone), its direction and language."""
        day = date.fromisoformat(str(self.scenario["call_date"]).split()[0])
        zone = TIME_ZONES[self.language]
        return CallInfo(
            started_at=datetime.combine(day, time(12, 0), tzinfo=ZoneInfo(zone)),
            timezone=zone,
            direction=CallDirection(self.scenario["direction"]),
            language=self.language,
        )


def scenarios() -> dict[str, dict]:
    data = yaml.safe_load((EVAL_SET / "scenarios.yaml").read_text(encoding="utf-8"))
    return {scenario["id"]: scenario for scenario in data["scenarios"]}


def part_files(part: str) -> list[Path]:
    """The written calls of one part, by scenario id (a scenario not written yet is skipped)."""
    wanted = [sid for sid, scenario in scenarios().items() if scenario["part"] == part]
    return [CALLS / f"{sid}.yaml" for sid in sorted(wanted) if (CALLS / f"{sid}.yaml").exists()]


def digest(files: list[Path]) -> str:
    hasher = hashlib.sha256()
    for path in files:
        hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def frozen_digest() -> str | None:
    return FROZEN.read_text().split()[0] if FROZEN.exists() else None


def load_part(part: str, languages: tuple[str, ...] = ("ru", "en")) -> list[BlindCall]:
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
    files = part_files(part)
    if part == "test":
        frozen = frozen_digest()
        if frozen is None:
            raise FrozenPartChanged(f"{FROZEN.name} missing: freeze the test part before scoring it")
        if digest(files) != frozen:
            raise FrozenPartChanged(f"the test part's files differ from the digest in {FROZEN.name}")
    known = scenarios()
    calls = []
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if raw["language"] not in languages:
            continue
        calls.append(
            BlindCall(
                id=raw["id"],
                language=raw["language"],
                part=part,
                scenario=known[raw["id"]],
                lines=[(role, str(text)) for role, text in raw["lines"]],
                items={item: label["answer"] for item, label in raw["items"].items()},
                fields=raw["fields"],
                signals=raw["signals"],
            )
        )
    return calls
