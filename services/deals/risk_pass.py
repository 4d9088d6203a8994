"""A risk pass: every open deal checked against its team's settings, the risks in force stored (new ones added,
gone ones removed, evidence refreshed) and a `deal.at_risk` event sent for each deal with a risk it did not have
before, with the deal's risks. Running it twice in a row sends nothing the second time.

Deals are checked in batches, each batch committed on its own, and each deal inside a savepoint: a deal whose data
breaks its check is logged by its id and CRM id and keeps the risks it had, while the deals before it stay saved
and the deals after it are still checked. Given a session instead of the database, the pass runs inside the
caller's transaction (the savepoints still keep one broken deal from spoiling the others).
"""

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models.deals import DealAtRisk, Risk, RiskSettings
from pipeline.db import CRMStage, CRMUser, Database, Deal, DealRisk, DealRiskSettings
from pipeline.events import record_event
from services.deals.facts import DealFacts, deal_facts
from services.deals.risks import deal_risks

log = logging.getLogger(__name__)

AT_RISK_EVENT = "deal.at_risk"
BATCH = 500


@dataclass
class PassCounts:
    deals: int = 0
    at_risk: int = 0
    new_risks: int = 0
    cleared: int = 0
    events: int = 0
    failed: list[int] = field(default_factory=list)  # ids of the deals whose check failed


def team_risk_settings(session: Session, team_id: int | None) -> RiskSettings:
    row = session.get(DealRiskSettings, team_id) if team_id is not None else None
    return RiskSettings.model_validate(row.settings) if row is not None else RiskSettings()


def save_team_risk_settings(session: Session, team_id: int, settings: RiskSettings) -> None:
    row = session.get(DealRiskSettings, team_id)
    data = settings.model_dump(mode="json")
    if row is None:
        session.add(DealRiskSettings(team_id=team_id, settings=data))
    else:
        row.settings = data


def _event(session: Session, deal: Deal, risks: list[Risk]) -> DealAtRisk:
    stage = session.get(CRMStage, deal.stage_id) if deal.stage_id else None
    owner = session.get(CRMUser, deal.owner_id) if deal.owner_id else None
    return DealAtRisk(
        deal_id=deal.id,
        crm=deal.crm,
        external_id=deal.external_id,
        name=deal.name,
        stage=stage.name if stage else None,
        owner=owner.name if owner else None,
        risks=risks,
    )


def _failed(deal: Deal, doing: str, exc: Exception, counts: PassCounts) -> None:
    counts.failed.append(deal.id)
    log.error(
        "risk check of deal %d (%s %s) failed while %s: %s",
        deal.id,
        deal.crm,
        deal.external_id,
        doing,
        exc,
        exc_info=exc,
        extra={"deal_id": deal.id, "crm": deal.crm, "external_id": deal.external_id},
    )


def _facts(session: Session, deals: list[Deal], counts: PassCounts) -> Iterator[tuple[Deal, DealFacts]]:
    """The batch's facts read in bulk; when that fails, deal by deal, so that only the broken deal is left out."""
    by_id = {deal.id: deal for deal in deals}
    try:
        with session.begin_nested():
            read = deal_facts(session, deals)
    except OperationalError:
        raise
    except Exception:
        read = []
        for deal in deals:
            try:
                with session.begin_nested():
                    read.extend(deal_facts(session, [deal]))
            except OperationalError:
                raise
            except Exception as exc:
                _failed(deal, "reading its calls", exc, counts)
    for facts in read:
        yield by_id[facts.deal_id], facts


def _check(
    session: Session,
    deal: Deal,
    facts: DealFacts,
    settings: RiskSettings,
    before: dict[str, DealRisk],
    now: datetime,
    counts: PassCounts,
) -> None:
    risks = deal_risks(facts, settings, now)
    new = [risk for risk in risks if risk.kind.value not in before]
    for risk in risks:
        evidence = [item.model_dump(mode="json") for item in risk.evidence]
        kept = before.pop(risk.kind.value, None)
        if kept is None:
            session.add(DealRisk(deal_id=deal.id, kind=risk.kind.value, message=risk.message, evidence=evidence))
        else:
            kept.message, kept.evidence = risk.message, evidence
    for gone in before.values():
        session.delete(gone)
    if new:
        record_event(session, AT_RISK_EVENT, None, _event(session, deal, new))
    counts.cleared += len(before)
    counts.at_risk += bool(risks)
    counts.new_risks += len(new)
    counts.events += bool(new)


def _check_batch(
    session: Session,
    ids: list[int],
    settings: dict[int | None, RiskSettings],
    now: datetime,
    counts: PassCounts,
) -> None:
    """Check the deals in one savepoint; when one of them breaks it, again each deal in its own."""
    deals = list(session.scalars(select(Deal).where(Deal.id.in_(ids), Deal.deleted.is_(False)).order_by(Deal.id)))
    stored: dict[int, dict[str, DealRisk]] = {}
    for row in session.scalars(select(DealRisk).where(DealRisk.deal_id.in_(ids))):
        stored.setdefault(row.deal_id, {})[row.kind] = row
    counts.deals += len(deals)
    checked = list(_facts(session, deals, counts))

    def check(deal: Deal, facts: DealFacts, into: PassCounts) -> None:
        if facts.team_id not in settings:
            settings[facts.team_id] = team_risk_settings(session, facts.team_id)
        _check(session, deal, facts, settings[facts.team_id], dict(stored.get(deal.id, {})), now, into)

    found = PassCounts()
    try:
        # Savepoints cost a round trip each: one for the batch, one a deal only when a deal broke the batch.
        with session.begin_nested():
            for deal, facts in checked:
                check(deal, facts, found)
    except OperationalError:
        raise
    except Exception:
        found = PassCounts()
        for deal, facts in checked:
            try:
                with session.begin_nested():
                    check(deal, facts, found)
            except OperationalError:
                raise
            except Exception as exc:
                _failed(deal, "checking its risks", exc, counts)
    counts.at_risk += found.at_risk
    counts.new_risks += found.new_risks
    counts.cleared += found.cleared
    counts.events += found.events


def run_risk_pass(
    target: Database | Session, now: datetime | None = None, team_id: int | None = None, *, batch: int = BATCH
) -> PassCounts:
    """Check every open deal (of `team_id`, when given); each batch of `batch` deals is committed on its own when
    given the database."""
    now = now or datetime.now(UTC)

    def transaction() -> AbstractContextManager[Session]:
        return nullcontext(target) if isinstance(target, Session) else target.session()

    query = select(Deal.id).where(Deal.deleted.is_(False)).order_by(Deal.id)
    if team_id is not None:
        query = query.where(Deal.team_id == team_id)
    with transaction() as session:
        ids = list(session.scalars(query))
    counts = PassCounts()
    settings: dict[int | None, RiskSettings] = {}
    for start in range(0, len(ids), batch):
        with transaction() as session:
            _check_batch(session, ids[start : start + batch], settings, now, counts)
    # Risks of deals deleted since (or before) their last check go with them.
    deleted = select(Deal.id).where(Deal.deleted.is_(True))
    if team_id is not None:
        deleted = deleted.where(Deal.team_id == team_id)
    with transaction() as session:
        result = session.execute(delete(DealRisk).where(DealRisk.deal_id.in_(deleted)))
        counts.cleared += result.rowcount or 0  # type: ignore[attr-defined]
    log.info("deal risk pass", extra={"team_id": team_id, **vars(counts), "failed": len(counts.failed)})
    if counts.failed:
        log.error("deal risk pass: %d deals not checked: %s", len(counts.failed), counts.failed[:20])
    return counts
