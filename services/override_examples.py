"""A head of sales' override taught to the script in one click: the utterance the analysis quoted for the item
becomes an example of it. Overridden to "yes", the quote did the step (a positive example); overridden to "no" or
N/A, it only looked like it (a negative one). The head of sales confirms, and may trim the quote, before the new
script version is made (services.script_examples.save_examples)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Answer, CallInfo, Evidence
from pipeline.db import Call, CallResultRow, ItemOverride, Team
from pipeline.redaction import redactor_for, shown_evidence
from pipeline.settings import Settings
from services.script_examples import ExampleRefused, Kind, team_script


@dataclass(frozen=True)
class OverrideExample:
    override_id: int
    call_id: str
    team: str
    item_id: str
    item_title: str
    kind: Kind
    language: str
    text: str
    script_id: str
    base_version: str


def _quote(evidence: list[Evidence]) -> str:
    """The last quote: where an item decided by meaning puts the closest utterance, after any context."""
    quotes = [e.quote.strip() for e in evidence if e.quote and e.quote.strip()]
    return quotes[-1] if quotes else ""


def override_example(session: Session, settings: Settings, call_id: str, item_id: str) -> OverrideExample:
    """The example the latest override of the call's item makes, checked against the team's script now; raises
    ExampleRefused: no_override (none on this item), no_team (the call has no team) or other_script (the team's
    script is no longer the one the override was made on)."""
    override = session.scalar(
        select(ItemOverride)
        .where(ItemOverride.call_id == call_id, ItemOverride.item_id == item_id)
        .order_by(ItemOverride.at.desc(), ItemOverride.id.desc())
        .limit(1)
    )
    if override is None:
        raise ExampleRefused("no_override", f"call {call_id} has no override of item '{item_id}'")
    call = session.get(Call, call_id)
    team = session.get(Team, call.team_id) if call is not None and call.team_id is not None else None
    if call is None or team is None:
        raise ExampleRefused("no_team", f"call {call_id} belongs to no team, so there is no team script to teach")
    current = team_script(session, settings, team.name)
    if current.script.id != override.script_id:
        raise ExampleRefused(
            "other_script",
            f"the override was made on script {override.script_id}; team {team.name} now uses {current.script.id}",
        )
    row = session.get(CallResultRow, call_id)
    language = (row.language if row is not None else current.script.language).split("-")[0].lower()
    evidence = [Evidence.model_validate(e) for e in override.ai_answer.get("evidence", [])]
    redactor = redactor_for(settings, CallInfo.model_validate(call.info))
    return OverrideExample(
        override_id=override.id,
        call_id=call_id,
        team=team.name,
        item_id=item_id,
        item_title=str(override.ai_answer.get("title") or item_id),
        kind="positive" if override.answer == Answer.yes.value else "negative",
        language=language,
        text=_quote(shown_evidence(evidence, redactor, language)),
        script_id=current.script.id,
        base_version=current.script.version,
    )
