"""Outbox rows, written in the caller's transaction so an event exists exactly when its result does."""

import re
import uuid

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Analysis, CallFailed, CallProcessed
from models.events import ProcessedItem, ProcessedProposal
from pipeline.db import Call, Delivery, OutboxEvent, Subscriber

# An absolute file path (POSIX or Windows) standing on its own, not the path part of a URL: the lookbehind refuses
# a slash that follows a host name or another path character.
_PATH = re.compile(r"(?<![\w.:/\\-])(?:/|[A-Za-z]:\\)(?:[^\s/\\'\"()\[\],;:]+[/\\])+([^\s/\\'\"()\[\],;:]*)")


def without_paths(text: str) -> str:
    """The text with each absolute file path cut to its file name: subscribers learn what failed, not where the
    worker keeps its temporary files."""
    return _PATH.sub(lambda match: match.group(1) or "…", text)


def record_event(session: Session, type_: str, call_id: str | None, data: BaseModel) -> str:
    """Add an event and one pending delivery per subscriber that wants it; returns the event id."""
    event_id = uuid.uuid4().hex
    session.add(OutboxEvent(id=event_id, call_id=call_id, type=type_, payload=data.model_dump(mode="json")))
    session.flush()
    for subscriber in session.scalars(select(Subscriber).where(Subscriber.active.is_(True))):
        if not subscriber.events or type_ in subscriber.events:
            session.add(Delivery(event_id=event_id, subscriber_id=subscriber.id, status="pending"))
    return event_id


def call_processed(call: Call, analysis: Analysis, language: str, duration_s: float) -> CallProcessed:
    scorecard = analysis.scorecard
    return CallProcessed(
        call_id=call.id,
        external_id=call.external_id,
        provider=call.provider,
        language=language,
        duration_s=round(duration_s, 2),
        summary=analysis.summary.text,
        next_step=analysis.summary.next_step,
        script_id=scorecard.script_id,
        script_version=scorecard.script_version,
        score_percent=scorecard.percent,
        auto_failed=scorecard.auto_failed,
        items=[ProcessedItem(item_id=i.item_id, answer=i.answer, source=i.source) for i in scorecard.items],
        proposals=[
            ProcessedProposal(field=p.field, value=p.model_dump(mode="json")["value"], confidence=p.confidence)
            for p in analysis.proposals
        ],
        rep_talk_ratio=analysis.metrics.rep.talk_ratio,
    )


def call_failed(call: Call, stage: str, error: str) -> CallFailed:
    return CallFailed(
        call_id=call.id,
        external_id=call.external_id,
        provider=call.provider,
        stage=stage,
        error=without_paths(error),
    )
