"""What a changed script item would answer on a team's recent calls, before the change is saved: the item decided
again by the analysis rules (summarize.rules.decide_item) from each call's stored conversation, beside the answer the
call has now. Nothing is stored and no model is asked: an item whose rules leave it open shows "not determined"
here even where the LLM would answer it after saving."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models import Answer, CallInfo, CallResult, Conversation, Evidence
from pipeline.db import Call
from pipeline.redaction import redactor_for, shown_evidence
from pipeline.runtime import Runtime
from pipeline.stages import load_output, output_key
from services.script_examples import ExampleChange, TeamScript, changed_script

RECENT_CALLS = 20


@dataclass(frozen=True)
class PreviewRow:
    call_id: str
    at: datetime
    now: Answer | None
    would_be: Answer
    evidence: list[Evidence]
    note: str

    @property
    def changed(self) -> bool:
        return self.now != self.would_be


def _current_answer(runtime: Runtime, call_id: str, item_id: str) -> Answer | None:
    if not runtime.storage.exists(output_key(call_id, "result")):
        return None
    scorecard = load_output(runtime, call_id, "result", CallResult).analysis.scorecard
    return next((item.answer for item in scorecard.items if item.item_id == item_id), None)


def preview(
    runtime: Runtime, current: TeamScript, changes: list[ExampleChange], item_id: str, limit: int = RECENT_CALLS
) -> list[PreviewRow]:
    """The item's answer on the team's `limit` latest finished calls, now and with `changes` made; raises
    ExampleRefused as saving would."""
    from summarize.metrics import measure
    from summarize.rules import decide_item

    script = changed_script(current.script, changes)
    section_id, item = next((s.id, i) for s in script.sections for i in s.items if i.id == item_id)
    with runtime.db.session() as session:
        calls = session.execute(
            select(Call.id, Call.created_at, Call.info)
            .where(Call.team_id == current.team_id, Call.status == "done")
            .order_by(Call.created_at.desc())
            .limit(limit)
        ).all()
    rows = []
    for call_id, at, info in calls:
        if not runtime.storage.exists(output_key(call_id, "conversation")):
            continue
        conversation = load_output(runtime, call_id, "conversation", Conversation)
        result = decide_item(conversation, item, section_id, measure(conversation)).result
        redactor = redactor_for(runtime.settings, CallInfo.model_validate(info))
        rows.append(
            PreviewRow(
                call_id=call_id,
                at=at,
                now=_current_answer(runtime, call_id, item_id),
                would_be=result.answer,
                evidence=shown_evidence(result.evidence, redactor, conversation.language),
                note=result.note,
            )
        )
    return rows
