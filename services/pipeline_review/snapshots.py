"""Daily pipeline snapshots, stored as changes.

Each team's snapshot is due at its snapshot time (default 23:30) in its time zone and is dated that local day. A
run compares every deal of the team with the deal's latest snapshot row and writes a row only where something
differs, so an unchanged day adds nothing and two years of daily snapshots stay small. A deal's category is the
forecast's (an override in force, else the stage's rule), as the forecast page shows it that day. A second run of
the same day adds nothing (the run is recorded). A day missed while the scheduler was down is taken, dated that
day, by the next pass after it, since a stored change holds until the next one. Reading the pipeline as of a day is
one index range: rows with day <= D < until.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, insert, select, update
from sqlalchemy.orm import Session

from models.errors import BadInput
from pipeline.db import CRMStage, Deal, DealSnapshot, SnapshotRun, Team
from pipeline.db.snapshots import OPEN_END
from services.pipeline_review.forecast import latest_overrides, rule_category

log = logging.getLogger(__name__)

DEFAULT_SNAPSHOT_TIME = time(23, 30)
DEFAULT_ZONE = "UTC"
# What a snapshot row records of a deal; a row is written when any of these differs from the deal's previous row.
STATE = (
    "team_id",
    "rep_id",
    "owner_id",
    "pipeline_id",
    "stage_id",
    "outcome",
    "category",
    "amount",
    "currency",
    "close_date",
    "gone",
)


class SnapshotRefused(BadInput, ValueError):
    """A snapshot that cannot be taken (a day before the team's latest snapshot); the message says why."""


@dataclass
class RunCounts:
    team_id: int | None
    day: date
    deals: int = 0
    changed: int = 0
    skipped: bool = False


def parse_snapshot_time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise SnapshotRefused(f"snapshot time: expected HH:MM, got {text!r}") from None


def team_clock(team: Team | None) -> tuple[ZoneInfo, time]:
    zone = ZoneInfo((team.timezone if team else None) or DEFAULT_ZONE)
    at = parse_snapshot_time(team.snapshot_time) if team and team.snapshot_time else DEFAULT_SNAPSHOT_TIME
    return zone, at


def due_day(team: Team | None, now: datetime) -> date:
    """The latest team-local day whose snapshot time has passed at `now`."""
    zone, at = team_clock(team)
    local = now.astimezone(zone)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


def _current_states(session: Session, team_id: int | None) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(
            Deal.id,
            Deal.team_id,
            Deal.rep_id,
            Deal.owner_id,
            Deal.pipeline_id,
            Deal.stage_id,
            Deal.amount,
            Deal.currency,
            Deal.close_date,
            Deal.deleted,
            CRMStage.outcome,
            CRMStage.probability,
            CRMStage.forecast_category,
        )
        .outerjoin(CRMStage, CRMStage.id == Deal.stage_id)
        .where(Deal.team_id.is_(None) if team_id is None else Deal.team_id == team_id)
    ).all()
    overrides = latest_overrides(session, [row.id for row in rows])
    states = {}
    for row in rows:
        outcome = row.outcome or "open"
        override = overrides.get(row.id)
        category = None
        if outcome == "open":
            category = override.category if override else rule_category(row.forecast_category, row.probability).value
        states[row.id] = {
            "team_id": row.team_id,
            "rep_id": row.rep_id,
            "owner_id": row.owner_id,
            "pipeline_id": row.pipeline_id,
            "stage_id": row.stage_id,
            "outcome": outcome,
            "category": category,
            "amount": Decimal(row.amount) if row.amount is not None else None,
            "currency": row.currency,
            "close_date": row.close_date,
            "gone": bool(row.deleted),
        }
    return states


def _latest_rows(session: Session, deal_ids: list[int]) -> dict[int, Any]:
    latest: dict[int, Any] = {}
    columns = [DealSnapshot.id, DealSnapshot.deal_id, DealSnapshot.day, *(getattr(DealSnapshot, f) for f in STATE)]
    for start in range(0, len(deal_ids), 5000):
        chunk = deal_ids[start : start + 5000]
        query = select(*columns).where(DealSnapshot.until == OPEN_END, DealSnapshot.deal_id.in_(chunk))
        latest.update({row.deal_id: row for row in session.execute(query)})
    return latest


def take_snapshot(session: Session, team_id: int | None, day: date) -> RunCounts:
    """The team's snapshot of `day` (team None: deals without a team); nothing when that day was taken already."""
    counts = RunCounts(team_id, day)
    runs = select(SnapshotRun).where(
        SnapshotRun.team_id.is_(None) if team_id is None else SnapshotRun.team_id == team_id
    )
    if session.scalar(runs.where(SnapshotRun.day == day)) is not None:
        counts.skipped = True
        return counts
    later = session.scalar(runs.where(SnapshotRun.day > day).order_by(SnapshotRun.day.desc()).limit(1))
    if later is not None:
        raise SnapshotRefused(
            f"the snapshot of {later.day} is taken already; a snapshot of an earlier day ({day}) cannot be added"
        )
    states = _current_states(session, team_id)
    counts.deals = len(states)
    latest = _latest_rows(session, list(states))
    new_rows: list[dict[str, Any]] = []
    closed: list[int] = []
    for deal_id, state in states.items():
        previous = latest.get(deal_id)
        if previous is not None and all(getattr(previous, f) == state[f] for f in STATE):
            continue
        if previous is not None and previous.day >= day:
            # The deal's row of this day (or a later one, written under its previous team) is rewritten in place.
            session.execute(update(DealSnapshot).where(DealSnapshot.id == previous.id).values(**state))
        else:
            if previous is not None:
                closed.append(previous.id)
            new_rows.append({"deal_id": deal_id, "day": day, "until": OPEN_END, **state})
        counts.changed += 1
    for start in range(0, len(closed), 5000):
        chunk = closed[start : start + 5000]
        session.execute(update(DealSnapshot).where(DealSnapshot.id.in_(chunk)).values(until=day))
    if new_rows:
        session.execute(insert(DealSnapshot), new_rows)
    session.add(SnapshotRun(team_id=team_id, day=day, deals=counts.deals, changed=counts.changed))
    session.flush()
    log.info(
        "pipeline snapshot",
        extra={"team_id": team_id, "day": day.isoformat(), "deals": counts.deals, "changed": counts.changed},
    )
    return counts


def as_of(day: date, *, team_id: int | None = None, rep_id: int | None = None) -> Select[Any]:
    """The snapshot rows in force on `day` (deals deleted by then left out), for a team or a rep when given."""
    # Plain rows, not ORM objects: the waterfall reads thousands of them.
    query = select(*DealSnapshot.__table__.columns).where(
        and_(DealSnapshot.day <= day, DealSnapshot.until > day), DealSnapshot.gone.is_(False)
    )
    if team_id is not None:
        query = query.where(DealSnapshot.team_id == team_id)
    if rep_id is not None:
        query = query.where(DealSnapshot.rep_id == rep_id)
    return query
