"""A team's call script taught by example: example utterances added to or removed from one item make a new script
version, stored beside the earlier ones, which becomes the team's script and re-scores the team's calls from their
stored conversations (the analyze stage again, never speech recognition).

A script item only compares what was said with its examples when it is decided by `meaning`; an item that was not
gets `meaning` added after its phrases (before the LLM), so the examples count. Versions count up: "1.0" → "1.1",
"3" → "4"; a version already stored is skipped.
"""

import logging
import re
from dataclasses import dataclass
from typing import Literal

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CallScript, CallStatus, Stage
from models.errors import BadInput
from models.script import ItemExamples, Method, ScriptItem
from pipeline.call_setup import resolve_script
from pipeline.db import Call, ScriptExampleEdit, Team
from pipeline.directory import store_document, stored_document
from pipeline.runtime import Runtime
from pipeline.settings import Settings
from scoring_scripts.loader import parse_script
from services.calls_admin import RerunRefused, rerun_stage

log = logging.getLogger(__name__)

Kind = Literal["positive", "negative"]
KINDS: tuple[Kind, ...] = ("positive", "negative")
Change = Literal["add", "remove"]
MAX_EXAMPLE_CHARS = 500


class ExampleRefused(BadInput, ValueError):
    """An example change that cannot be made; `problem` names it for translated pages: no_team, no_item,
    empty, long, known, missing or stale."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class ExampleChange:
    item_id: str
    language: str
    kind: Kind
    change: Change
    text: str


@dataclass(frozen=True)
class TeamScript:
    """The script a team's calls are analysed with now: its name (what the team's setting names) and content."""

    team_id: int
    team: str
    name: str
    script: CallScript


@dataclass(frozen=True)
class SavedVersion:
    script_id: str
    version: str
    rescored: int
    waiting: int


def team_script(session: Session, settings: Settings, team: str) -> TeamScript:
    """The team's script: its own, else the deployment's ('auto' picks by the team's language, Russian if unset)."""
    row = session.scalar(select(Team).where(Team.name == team))
    if row is None:
        raise ExampleRefused("no_team", f"no team {team!r}")
    ref = row.script or settings.script
    language = row.language or (settings.language if settings.language != "auto" else "ru")
    document = stored_document(session, "script", ref)
    script = resolve_script(ref, language, document.body if document else None)
    return TeamScript(row.id, row.name, script.id if ref == "auto" else ref.partition("@")[0], script)


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


def _item(script: CallScript, item_id: str) -> ScriptItem:
    for item in script.items():
        if item.id == item_id:
            return item
    raise ExampleRefused("no_item", f"script {script.id} has no item '{item_id}'")


def _changed_item(item: ScriptItem, change: ExampleChange) -> ScriptItem:
    text = " ".join(change.text.split())
    if not text:
        raise ExampleRefused("empty", "an example needs the words said")
    if len(text) > MAX_EXAMPLE_CHARS:
        raise ExampleRefused("long", f"an example is at most {MAX_EXAMPLE_CHARS} characters")
    examples = item.examples.get(change.language) or ItemExamples()
    listed = list(getattr(examples, change.kind))
    present = [example for example in listed if _fold(example) == _fold(text)]
    if change.change == "add":
        if present:
            raise ExampleRefused("known", f"item '{item.id}' already has this {change.kind} example")
        listed.append(text)
    else:
        if not present:
            raise ExampleRefused("missing", f"item '{item.id}' has no {change.kind} example {text!r}")
        listed = [example for example in listed if _fold(example) != _fold(text)]
    updated = examples.model_copy(update={change.kind: listed})
    decide_by = list(item.decide_by)
    if Method.meaning not in decide_by and updated.positive:
        at = decide_by.index(Method.phrases) + 1 if Method.phrases in decide_by else 0
        decide_by.insert(at, Method.meaning)
    return item.model_copy(update={"examples": {**item.examples, change.language: updated}, "decide_by": decide_by})


def next_version(version: str, taken: set[str]) -> str:
    """The version after `version` that is not in `taken`: its last number counted up, else ".1" added."""
    candidate = version
    while candidate == version or candidate in taken:
        match = re.search(r"(\d+)(\D*)$", candidate)
        candidate = f"{candidate[: match.start(1)]}{int(match[1]) + 1}{match[2]}" if match else f"{candidate}.1"
    return candidate


def changed_script(script: CallScript, changes: list[ExampleChange], version: str | None = None) -> CallScript:
    """`script` with the example changes made, under `version` (its own when None); checked as a stored script is."""
    sections = []
    for section in script.sections:
        items = list(section.items)
        for index, item in enumerate(items):
            for change in changes:
                if change.item_id == item.id:
                    items[index] = item = _changed_item(item, change)
        sections.append(section.model_copy(update={"items": items}))
    for change in changes:
        _item(script, change.item_id)
    changed = script.model_copy(update={"sections": sections, "version": version or script.version})
    # Re-validated through the parser, so a stored version always loads on every worker.
    return parse_script(script_yaml(changed), f"script {script.id}")


def script_yaml(script: CallScript) -> str:
    data = script.model_dump(mode="json", exclude_defaults=True)
    data = {"id": script.id, "version": script.version, **data}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def _taken_versions(session: Session, name: str) -> set[str]:
    from pipeline.db import StoredDocument

    rows = session.scalars(
        select(StoredDocument.version).where(StoredDocument.kind == "script", StoredDocument.name == name)
    ).all()
    return set(rows)


def store_new_version(
    session: Session,
    current: TeamScript,
    changes: list[ExampleChange],
    *,
    base_version: str,
    actor: str,
    user_id: int | None,
    call_id: str | None = None,
    override_id: int | None = None,
) -> CallScript:
    """Store the changed script as a new version, log each change, and make it the team's script.

    `base_version` is the version the changes were made against: when the team's script has moved on since (another
    head of sales saved first), nothing is stored, so no change is lost silently."""
    if current.script.version != base_version:
        raise ExampleRefused(
            "stale", f"script {current.name} is at version {current.script.version} now, not {base_version}: reload"
        )
    version = next_version(current.script.version, _taken_versions(session, current.script.id))
    script = changed_script(current.script, changes, version)
    store_document(session, "script", script.id, script.version, script_yaml(script))
    for change in changes:
        session.add(
            ScriptExampleEdit(
                team_id=current.team_id,
                script_id=script.id,
                from_version=current.script.version,
                to_version=script.version,
                item_id=change.item_id,
                language=change.language,
                kind=change.kind,
                change=change.change,
                text=" ".join(change.text.split()),
                call_id=call_id,
                override_id=override_id,
                user_id=user_id,
                actor=actor,
            )
        )
    team = session.get(Team, current.team_id)
    if team is not None:
        team.script = script.id
    session.flush()
    return script


def rescore_team(runtime: Runtime, team_id: int, script_id: str) -> tuple[int, int]:
    """Queue the analyze stage of the team's finished calls with the script's latest version; (queued, left to
    the reconciler or skipped because they are being processed)."""
    with runtime.db.session() as session:
        call_ids = session.scalars(
            select(Call.id).where(Call.team_id == team_id, Call.status == CallStatus.done).order_by(Call.created_at)
        ).all()
    queued = waiting = 0
    for call_id in call_ids:
        try:
            done = rerun_stage(runtime, call_id, Stage.analyze, script=script_id)
        except RerunRefused as exc:
            log.info("not re-scored: %s", exc, extra={"call_id": call_id})
            waiting += 1
            continue
        queued += done.queued
        waiting += not done.queued
    return queued, waiting


def save_examples(
    runtime: Runtime,
    team: str,
    changes: list[ExampleChange],
    *,
    base_version: str,
    actor: str,
    user_id: int | None,
    call_id: str | None = None,
    override_id: int | None = None,
) -> SavedVersion:
    """Make the new script version (see `store_new_version`), then re-score the team's calls with it."""
    with runtime.db.session() as session:
        current = team_script(session, runtime.settings, team)
        script = store_new_version(
            session,
            current,
            changes,
            base_version=base_version,
            actor=actor,
            user_id=user_id,
            call_id=call_id,
            override_id=override_id,
        )
    log.info("script %s version %s stored for team %s", script.id, script.version, team)
    queued, waiting = rescore_team(runtime, current.team_id, script.id)
    return SavedVersion(script.id, script.version, queued, waiting)
