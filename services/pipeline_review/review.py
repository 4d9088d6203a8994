"""What the pipeline review shows: the open deals that matter most, ranked by value × risk, each with its last
call's card (summary, score, deal gaps), its risks with their moments in the calls, its next step, and the notes
the team wrote for it at this review.

A deal's risk is the chance that at least one of its risks (services/deals/risks.py, from the latest risk pass)
costs the deal, each risk counting with its weight: 1 − Π(1 − weight). Amounts in different currencies are never
compared: each currency is ranked on its own, the one with the most deals first. A deal without an amount ranks
after every deal with one.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Numeric, Subquery, case, func, literal, select
from sqlalchemy.orm import Session

from models.deals import RiskKind
from pipeline.db import Deal, DealRisk
from pipeline.redaction import redactor_for
from pipeline.runtime import Runtime
from services.collab.comments import CommentLine, review_notes
from services.deals.views import DealPage, TimelineCall, deal_page

DEALS_PER_CURRENCY = 20
# How likely each risk is to cost the deal, on its own.
RISK_WEIGHTS: dict[RiskKind, float] = {
    RiskKind.close_date_passed: 0.4,
    RiskKind.next_step_overdue: 0.35,
    RiskKind.no_activity: 0.35,
    RiskKind.stage_ahead: 0.3,
    RiskKind.no_next_step: 0.3,
    RiskKind.decision_maker_absent: 0.25,
    RiskKind.competitor: 0.25,
    RiskKind.budget_never_discussed: 0.2,
    RiskKind.close_date_moved: 0.2,
}


@dataclass(frozen=True)
class Ranked:
    deal_id: int
    amount: Decimal | None
    currency: str | None
    risk: float

    @property
    def at_stake(self) -> Decimal | None:
        """Value × risk: what the review should spend its time on."""
        return None if self.amount is None else (self.amount * Decimal(str(self.risk))).quantize(Decimal("0.01"))


def _at_risk(scope: ColumnElement[bool] | None) -> Subquery:
    """Per deal in scope with a risk in force: its amount, currency, risk, and its rank within its currency (most
    at stake first; equal stakes: the riskier first; no amount: last), in SQL so that a large pipeline is ranked by
    the database rather than read into memory."""
    flags = {kind: func.max(case((DealRisk.kind == kind.value, 1), else_=0)).label(kind.value) for kind in RISK_WEIGHTS}
    per_deal = select(DealRisk.deal_id, *flags.values()).group_by(DealRisk.deal_id).subquery()
    safe: ColumnElement[Decimal] = literal(Decimal(1), Numeric(6, 4))
    for kind, weight in RISK_WEIGHTS.items():
        safe = safe * (1 - literal(Decimal(str(weight)), Numeric(6, 4)) * per_deal.c[kind.value])
    risk = (1 - safe).label("risk")
    stake = Deal.amount * risk
    query = (
        select(
            Deal.id.label("deal_id"),
            Deal.amount,
            Deal.currency,
            risk,
            func.row_number()
            .over(partition_by=Deal.currency, order_by=(stake.desc().nulls_last(), risk.desc(), Deal.id))
            .label("rank"),
            func.count().over(partition_by=Deal.currency).label("in_currency"),
        )
        .join(per_deal, per_deal.c.deal_id == Deal.id)
        .where(Deal.deleted.is_(False))
    )
    return (query.where(scope) if scope is not None else query).subquery()


def ranked_deals(
    session: Session, scope: ColumnElement[bool] | None, per_currency: int = DEALS_PER_CURRENCY
) -> dict[str | None, tuple[list[Ranked], int]]:
    """The deals most at stake in each currency (the currency with the most deals at risk first), and how many
    deals at risk each currency has."""
    ranked = _at_risk(scope)
    rows = session.execute(
        select(ranked).where(ranked.c.rank <= per_currency).order_by(ranked.c.currency, ranked.c.rank)
    ).all()
    groups: dict[str | None, tuple[list[Ranked], int]] = {}
    for row in rows:
        found = groups.setdefault(row.currency, ([], row.in_currency))
        found[0].append(Ranked(row.deal_id, row.amount, row.currency, round(float(row.risk), 4)))
    return dict(sorted(groups.items(), key=lambda item: (-item[1][1], item[0] or "")))


@dataclass
class ReviewDeal:
    ranked: Ranked
    page: DealPage
    notes: list[CommentLine] = field(default_factory=list)

    @property
    def last_call(self) -> TimelineCall | None:
        return self.page.calls[0] if self.page.calls else None


@dataclass
class ReviewGroup:
    currency: str | None
    deals: list[ReviewDeal]
    # Deals at risk in this currency beyond those shown.
    more: int = 0


def pipeline_review(
    runtime: Runtime,
    session: Session,
    scope: ColumnElement[bool] | None,
    review_date: date,
    per_currency: int = DEALS_PER_CURRENCY,
) -> list[ReviewGroup]:
    """The review as of `review_date` (whose notes it shows) for the deals in `scope`."""
    groups = []
    redactor = redactor_for(runtime.settings)
    for currency, (shown, in_currency) in ranked_deals(session, scope, per_currency).items():
        notes = review_notes(session, [r.deal_id for r in shown], review_date, redactor)
        deals = []
        for item in shown:
            page = deal_page(runtime, session, item.deal_id, scope)
            if page is not None:
                deals.append(ReviewDeal(item, page, notes.get(item.deal_id, [])))
        groups.append(ReviewGroup(currency, deals, in_currency - len(shown)))
    return groups
