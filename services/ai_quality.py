"""How the AI does, measured by what people decided about its work.

- CRM fields: for each field, the calls where a rep decided on its proposed value, by the outcome of the latest
  decision on that call: approved as is (the value kept is the AI's), edited (the value kept differs from the
  AI's, by an edit or by approving an earlier edit) or rejected. Shares are of those decided calls (`n`).
- Script items: for each item of a script version, the analysed calls whose item a head of sales overrode
  (one per call, however often it was changed; only calls whose latest analysis used that version), over the
  analysed calls whose latest analysis used that script version (`call_results` by script id and version). Every
  item of a version is in each of its scorecards, so those calls are the ones whose scorecard has the item.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.db import CallResultRow, FieldDecisionLog, ItemOverride


@dataclass(frozen=True)
class FieldAcceptance:
    field: str
    n: int
    approved: int
    edited: int
    rejected: int

    @property
    def approved_share(self) -> float:
        return self.approved / self.n

    @property
    def edited_share(self) -> float:
        return self.edited / self.n

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.n


@dataclass(frozen=True)
class ItemOverrideRate:
    script_id: str
    script_version: str
    item_id: str
    overridden: int
    calls: int

    @property
    def rate(self) -> float:
        return self.overridden / self.calls if self.calls else 0.0


def field_acceptance(session: Session) -> list[FieldAcceptance]:
    """Per field, the outcome of the latest decision on each call; fields by name."""
    latest = (
        select(func.max(FieldDecisionLog.id).label("id"))
        .group_by(FieldDecisionLog.call_id, FieldDecisionLog.field)
        .subquery()
    )
    log = FieldDecisionLog
    rows = session.execute(
        select(log.field, log.decision, log.ai_value, log.final_value)
        .join(latest, latest.c.id == FieldDecisionLog.id)
        .order_by(FieldDecisionLog.field)
    )
    counts: dict[str, dict[str, int]] = {}
    for field, decision, ai_value, final_value in rows:
        if decision == "reject":
            outcome = "rejected"
        elif final_value == ai_value:
            outcome = "approved"
        else:
            outcome = "edited"
        tally = counts.setdefault(field, {"approved": 0, "edited": 0, "rejected": 0})
        tally[outcome] += 1
    return [FieldAcceptance(field=field, n=sum(tally.values()), **tally) for field, tally in counts.items()]


def item_override_rates(session: Session) -> list[ItemOverrideRate]:
    """Per script version and item, overridden calls over analysed calls; by script, version, then item."""
    analysed = dict(
        session.execute(
            select(CallResultRow.script_id + "@" + CallResultRow.script_version, func.count()).group_by(
                CallResultRow.script_id, CallResultRow.script_version
            )
        ).all()
    )
    overridden = session.execute(
        select(
            ItemOverride.script_id,
            ItemOverride.script_version,
            ItemOverride.item_id,
            func.count(func.distinct(ItemOverride.call_id)),
        )
        .join(
            CallResultRow,
            (CallResultRow.call_id == ItemOverride.call_id)
            & (CallResultRow.script_id == ItemOverride.script_id)
            & (CallResultRow.script_version == ItemOverride.script_version),
        )
        .group_by(ItemOverride.script_id, ItemOverride.script_version, ItemOverride.item_id)
        .order_by(ItemOverride.script_id, ItemOverride.script_version, ItemOverride.item_id)
    )
    return [
        ItemOverrideRate(
            script_id=script_id,
            script_version=version,
            item_id=item_id,
            overridden=count,
            calls=analysed.get(f"{script_id}@{version}", 0),
        )
        for script_id, version, item_id, count in overridden
    ]
