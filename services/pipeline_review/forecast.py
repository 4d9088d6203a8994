"""The forecast: each open deal expected to close in a period, in a category (commit, best case, pipeline,
omitted), beside what its calls suggest.

The category comes from the deal's stage: the category set on the stage in the mapping, else its default
probability (90 % or more: commit, 50 % or more: best case, 0 %: omitted, otherwise or none: pipeline). The rep who
owns the deal and the head of sales of its team may override it with a reason; each override is logged (who, when,
from, to, why) in the forecast override log and in the access audit log, and the newest one is in force until the
next (`auto` hands the deal back to its stage's rule).

A deal in commit is flagged when its calls do not back it: no agreed next step after the last call, the budget
never discussed, the decision maker never on a call, a competitor in play, or no analysed call at all. Each flag
carries its evidence (quotes with the call and the second they start at), from the same rules as the deal risks.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from models.deals import RiskEvidence, RiskSettings
from models.errors import BadInput
from pipeline.db import CRMStage, CRMUser, Deal, ForecastOverride
from services import audit
from services.accounts import UserRole
from services.deals.facts import DealFacts, deal_facts
from services.deals.risks import budget_never_discussed, competitor, decision_maker_absent, no_next_step

log = logging.getLogger(__name__)

COMMIT_PROBABILITY = 0.9
BEST_CASE_PROBABILITY = 0.5
AUDIT_ACTION = "forecast.overridden"
REASON_LIMIT = 2000


class Category(StrEnum):
    commit = "commit"
    best_case = "best_case"
    pipeline = "pipeline"
    omitted = "omitted"


AUTO = "auto"


class OverrideRefused(BadInput, ValueError):
    """An override with an unknown category or no reason, or a category for a stage that does not exist."""


class DealNotVisible(BadInput, LookupError):
    """A deal that does not exist, is deleted or closed, or is not this person's to override."""


def rule_category(stage_category: str | None, probability: float | None) -> Category:
    """The stage mapping's category, else the default rule on the stage's probability."""
    if stage_category in set(Category):
        return Category(stage_category)
    if probability is not None and probability >= COMMIT_PROBABILITY:
        return Category.commit
    if probability is not None and probability >= BEST_CASE_PROBABILITY:
        return Category.best_case
    # An open stage the mapping gives no chance at all (0 %) stays out of the forecast.
    return Category.omitted if probability == 0 else Category.pipeline


@dataclass(frozen=True)
class Flag:
    """Why the calls do not back a deal in commit."""

    kind: str
    evidence: list[RiskEvidence]


@dataclass
class ForecastLine:
    deal_id: int
    name: str
    rep_id: int | None
    owner: str | None
    stage: str | None
    probability: float | None
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    rule: Category
    category: Category
    override: ForecastOverride | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def suggestion(self) -> Category | None:
        """What the calls suggest instead of commit: best case, when a flag says the calls do not back it."""
        return Category.best_case if self.flags else None


@dataclass
class Forecast:
    currency: str
    lines: list[ForecastLine]
    without_close_date: int
    """Open deals in scope with no close date: in no period's forecast."""

    def totals(self) -> dict[Category, Decimal]:
        """Per category, in the forecast's currency (other currencies are listed, never summed in)."""
        totals = {category: Decimal(0) for category in Category}
        for line in self.lines:
            if line.currency in (None, self.currency):
                totals[line.category] += line.amount or Decimal(0)
        return totals

    def apart(self) -> dict[tuple[str, Category], Decimal]:
        found: dict[tuple[str, Category], Decimal] = {}
        for line in self.lines:
            if line.currency not in (None, self.currency):
                key = (line.currency or "", line.category)
                found[key] = found.get(key, Decimal(0)) + (line.amount or Decimal(0))
        return dict(sorted(found.items()))


def latest_overrides(session: Session, deal_ids: list[int]) -> dict[int, ForecastOverride]:
    latest: dict[int, ForecastOverride] = {}
    for start in range(0, len(deal_ids), 1000):
        for row in session.scalars(
            select(ForecastOverride)
            .where(ForecastOverride.deal_id.in_(deal_ids[start : start + 1000]))
            .order_by(ForecastOverride.at, ForecastOverride.id)
        ):
            latest[row.deal_id] = row
    return {deal_id: row for deal_id, row in latest.items() if row.category != AUTO}


def _evidence(facts: DealFacts, now: datetime) -> list[Flag]:
    if not facts.analysed_calls:
        return [Flag("no_calls", [])]
    settings = RiskSettings()
    flags = []
    for rule in (no_next_step, budget_never_discussed, decision_maker_absent, competitor):
        risk = rule(facts, settings, now)
        if risk is not None:
            flags.append(Flag(risk.kind.value, risk.evidence))
    if not any(call.value("next_step") for call in facts.analysed_calls) and not any(
        flag.kind == "no_next_step" for flag in flags
    ):
        last = facts.analysed_calls[-1]
        flags.insert(
            0, Flag("no_next_step", [RiskEvidence(text=f"{last.at:%Y-%m-%d}", call_id=last.call_id, at=last.at)])
        )
    return flags


def forecast(
    session: Session, scope: ColumnElement[bool], start: date, end: date, currency: str, now: datetime
) -> Forecast:
    """The open deals in scope whose close date is in [start, end], each with its category and, in commit, what the
    calls show. The current period also takes the open deals whose close date has passed: slipped, yet expected."""
    rows = session.execute(
        select(Deal, CRMStage, CRMUser.name)
        .outerjoin(CRMStage, CRMStage.id == Deal.stage_id)
        .outerjoin(CRMUser, CRMUser.id == Deal.owner_id)
        .where(scope, Deal.deleted.is_(False))
        .where((CRMStage.outcome == "open") | (Deal.stage_id.is_(None)))
        .order_by(Deal.close_date, Deal.id)
    ).all()
    without = sum(1 for deal, _, _ in rows if deal.close_date is None)
    current = start <= now.date() <= end
    chosen = [
        (deal, stage, owner)
        for deal, stage, owner in rows
        if deal.close_date is not None and deal.close_date <= end and (deal.close_date >= start or current)
    ]
    overrides = latest_overrides(session, [deal.id for deal, _, _ in chosen])
    lines = []
    for deal, stage, owner in chosen:
        rule = rule_category(stage.forecast_category if stage else None, stage.probability if stage else None)
        override = overrides.get(deal.id)
        lines.append(
            ForecastLine(
                deal_id=deal.id,
                name=deal.name or deal.external_id,
                rep_id=deal.rep_id,
                owner=owner,
                stage=stage.name if stage else None,
                probability=stage.probability if stage else None,
                amount=deal.amount,
                currency=deal.currency,
                close_date=deal.close_date,
                rule=rule,
                category=Category(override.category) if override else rule,
                override=override,
            )
        )
    in_commit = {line.deal_id: line for line in lines if line.category is Category.commit}
    if in_commit:
        deals = [deal for deal, _, _ in chosen if deal.id in in_commit]
        for facts in deal_facts(session, deals):
            in_commit[facts.deal_id].flags = _evidence(facts, now)
    return Forecast(currency, lines, without)


@dataclass(frozen=True)
class Overrider:
    """Who overrides: their role decides which deals they may (a rep their own, a head of sales their team's)."""

    role: UserRole
    actor: str
    user_id: int | None
    team_id: int | None
    rep_id: int | None
    ip: str | None = None

    def may(self, deal: Deal) -> bool:
        if self.role is UserRole.admin:
            return True
        if self.role is UserRole.rop:
            return self.team_id is not None and deal.team_id == self.team_id
        return self.rep_id is not None and deal.rep_id == self.rep_id


def override_category(session: Session, deal_id: int, category: str, reason: str, who: Overrider) -> ForecastOverride:
    """Put the open deal in the category (`auto`: back to its stage's rule), logged with the reason."""
    if category != AUTO and category not in set(Category):
        raise OverrideRefused(f"forecast category must be one of {', '.join([*Category, AUTO])}, not {category!r}")
    reason = reason.strip()
    if not reason:
        raise OverrideRefused("give a reason for the override")
    if len(reason) > REASON_LIMIT:
        raise OverrideRefused(f"the reason is longer than {REASON_LIMIT} characters")
    deal = session.get(Deal, deal_id)
    stage = session.get(CRMStage, deal.stage_id) if deal is not None and deal.stage_id else None
    if deal is None or deal.deleted or (stage is not None and stage.outcome != "open") or not who.may(deal):
        raise DealNotVisible(f"no open deal {deal_id} that {who.actor} may forecast")
    current = latest_overrides(session, [deal.id]).get(deal.id)
    rule = rule_category(stage.forecast_category if stage else None, stage.probability if stage else None)
    previous = current.category if current is not None else rule.value
    row = ForecastOverride(
        deal_id=deal.id,
        previous=previous,
        category=category,
        reason=reason,
        user_id=who.user_id,
        actor=who.actor,
        role=who.role.value,
        at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=who.user_id,
        action=AUDIT_ACTION,
        target=f"deal:{deal.id}",
        detail={"from": previous, "to": category, "reason": reason},
        ip=who.ip,
    )
    log.info(
        "forecast overridden",
        extra={"deal_id": deal.id, "from": previous, "to": category, "actor": who.actor},
    )
    return row


def override_log(session: Session, deal_id: int) -> list[ForecastOverride]:
    return list(
        session.scalars(
            select(ForecastOverride)
            .where(ForecastOverride.deal_id == deal_id)
            .order_by(ForecastOverride.at.desc(), ForecastOverride.id.desc())
        )
    )


def set_stage_category(session: Session, stage_id: int, category: str | None) -> CRMStage:
    """Set the forecast category of every deal in the stage (None: from its probability)."""
    stage = session.get(CRMStage, stage_id)
    if stage is None:
        raise OverrideRefused(f"no stage {stage_id}")
    if category is not None and category not in set(Category):
        raise OverrideRefused(f"forecast category must be one of {', '.join(Category)}, not {category!r}")
    stage.forecast_category = category
    return stage
