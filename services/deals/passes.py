"""The scheduled deal passes, the same in both modes: `sync` syncs deals from every connected CRM that has a deal
sync (services.deals.sync), then links every call not linked by hand to its deal; `risks` runs a risk pass and asks
the publish queue to deliver the `deal.at_risk` events it wrote. Embedded mode calls them from `callintel deals`;
service mode runs them as dramatiq messages that the scheduler process sends, on the publish queue (light database
and CRM work beside deliveries).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

import dramatiq
from sqlalchemy import select

from crm_fill.adapters.errors import CRMError
from pipeline.db import CRMConnection
from pipeline.queue.dispatch import PUBLISH, send_publish
from pipeline.runtime import Runtime
from services.deals.linking import link_calls
from services.deals.risk_pass import PassCounts, run_risk_pass
from services.deals.sync import SYNCED_KINDS, SyncCounts, sync_amocrm

log = logging.getLogger(__name__)

SYNC_ACTOR = "deals_sync"
RISKS_ACTOR = "deals_risks"


@dataclass
class SyncPass:
    synced: list[SyncCounts]
    failed: dict[int, str]
    links: dict[str, int]


def sync_pass(runtime: Runtime) -> SyncPass:
    """Sync every connected CRM (one failing leaves the others and the linking alone: the next pass resumes it),
    then link the calls."""
    synced, failed = [], {}
    with runtime.db.session() as session:
        rows = session.scalars(
            select(CRMConnection).where(CRMConnection.enabled.is_(True), CRMConnection.kind.in_(SYNCED_KINDS))
        ).all()
    for row in rows:
        try:
            synced.append(sync_amocrm(runtime, row))
        except CRMError as exc:
            failed[row.id] = str(exc)
            log.error("deal sync of CRM connection %d failed: %s", row.id, exc, extra={"connection_id": row.id})
    with runtime.db.session() as session:
        links = link_calls(session)
    log.info("deal sync pass", extra={"connections": len(rows), "failed": len(failed), **links})
    return SyncPass(synced, failed, links)


def risk_pass(runtime: Runtime, now: datetime | None = None, *, notify: bool = True) -> PassCounts:
    with runtime.db.session() as session:
        counts = run_risk_pass(session, now)
    if counts.events and notify:
        send_publish(runtime, None)
    return counts


def send_deal_pass(runtime: Runtime, actor_name: str) -> None:
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=PUBLISH, actor_name=actor_name, args=(), kwargs={}, options={}
    )
    runtime.broker.enqueue(message)
    log.info("queued %s", actor_name)


def declare_deal_actors(broker: dramatiq.Broker, runtime: Runtime) -> list[dramatiq.Actor]:
    def deals_sync() -> None:
        sync_pass(runtime)

    def deals_risks() -> None:
        risk_pass(runtime)

    # No retries: the next scheduled pass does the same work again.
    return [
        dramatiq.actor(actor_name=name, queue_name=PUBLISH, broker=broker, max_retries=0)(fn)
        for name, fn in ((SYNC_ACTOR, deals_sync), (RISKS_ACTOR, deals_risks))
    ]
