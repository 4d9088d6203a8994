"""A risk pass: every open deal checked against its team's settings, the risks in force stored (new ones added,
gone ones removed, evidence refreshed) and a `deal.at_risk` event sent for each deal with a risk it did not have
before, in the same transaction. Running it twice in a row sends nothing the second time."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.deals import DealAtRisk, Risk, RiskSettings
from pipeline.db import CRMStage, CRMUser, Deal, DealRisk, DealRiskSettings
from pipeline.events import record_event
from services.deals.facts import deal_facts
from services.deals.risks import deal_risks

log = logging.getLogger(__name__)

AT_RISK_EVENT = "deal.at_risk"


@dataclass
class PassCounts:
    deals: int = 0
    at_risk: int = 0
    new_risks: int = 0
    cleared: int = 0
    events: int = 0


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


def run_risk_pass(session: Session, now: datetime | None = None, team_id: int | None = None) -> PassCounts:
    now = now or datetime.now(UTC)
    query = select(Deal).where(Deal.deleted.is_(False))
    if team_id is not None:
        query = query.where(Deal.team_id == team_id)
    deals = {deal.id: deal for deal in session.scalars(query)}
    settings: dict[int | None, RiskSettings] = {}
    counts = PassCounts(deals=len(deals))
    stored: dict[int, dict[str, DealRisk]] = {}
    for row in session.scalars(select(DealRisk)):
        stored.setdefault(row.deal_id, {})[row.kind] = row
    for facts in deal_facts(session, deals.values()):
        if facts.team_id not in settings:
            settings[facts.team_id] = team_risk_settings(session, facts.team_id)
        risks = deal_risks(facts, settings[facts.team_id], now)
        before = stored.pop(facts.deal_id, {})
        new = [risk for risk in risks if risk.kind.value not in before]
        for risk in risks:
            evidence = [item.model_dump(mode="json") for item in risk.evidence]
            kept = before.pop(risk.kind.value, None)
            if kept is None:
                session.add(
                    DealRisk(deal_id=facts.deal_id, kind=risk.kind.value, message=risk.message, evidence=evidence)
                )
            else:
                kept.message, kept.evidence = risk.message, evidence
        for gone in before.values():
            session.delete(gone)
        counts.cleared += len(before)
        counts.at_risk += bool(risks)
        counts.new_risks += len(new)
        if new:
            record_event(session, AT_RISK_EVENT, None, _event(session, deals[facts.deal_id], new))
            counts.events += 1
    # Risks of deals no longer checked (deleted, or moved out of the team passed): gone with them.
    if team_id is not None:
        in_team = set(session.scalars(select(Deal.id).where(Deal.team_id == team_id, Deal.id.in_(list(stored)))))
        stored = {deal_id: rows for deal_id, rows in stored.items() if deal_id in in_team}
    leftover = [row.id for rows in stored.values() for row in rows.values()]
    if leftover:
        session.execute(delete(DealRisk).where(DealRisk.id.in_(leftover)))
        counts.cleared += len(leftover)
    log.info("deal risk pass", extra={"team_id": team_id, **counts.__dict__})
    return counts
