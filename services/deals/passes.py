"""The scheduled deal passes, the same in both modes: `sync` syncs deals from every connected CRM that has a deal
sync (services.deals.sync), then links every call not linked by hand to its deal; `risks` runs a risk pass and asks
the publish queue to deliver the `deal.at_risk` events it wrote. Embedded mode calls them from `callintel deals`;
service mode runs them as dramatiq messages that the scheduler process sends, on the publish queue (light database
and CRM work beside deliveries). A CRM's change webhook syncs the deals it names the same way: a message in service
mode, at once in embedded mode (`changed_deals`).
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
from services.deals.sync import SYNCED_KINDS, SyncCounts, sync_connection, sync_deals

log = logging.getLogger(__name__)

SYNC_ACTOR = "deals_sync"
RISKS_ACTOR = "deals_risks"
CHANGED_ACTOR = "deals_changed"


@dataclass
class SyncPass:
    synced: list[SyncCounts]
    failed: dict[int, str]
    links: dict[str, int]


def sync_pass(runtime: Runtime, *, full: bool = False) -> SyncPass:
    """Sync every connected CRM (one failing leaves the others and the linking alone: the next pass resumes it),
    then link the calls; `full` reads every deal again."""
    synced, failed = [], {}
    with runtime.db.session() as session:
        rows = session.scalars(
            select(CRMConnection).where(CRMConnection.enabled.is_(True), CRMConnection.kind.in_(SYNCED_KINDS))
        ).all()
    for row in rows:
        try:
            synced.append(sync_connection(runtime, row, full=full))
        except CRMError as exc:
            failed[row.id] = str(exc)
            log.error("deal sync of CRM connection %d failed: %s", row.id, exc, extra={"connection_id": row.id})
    with runtime.db.session() as session:
        links = link_calls(session)
    log.info("deal sync pass", extra={"connections": len(rows), "failed": len(failed), **links})
    return SyncPass(synced, failed, links)


def sync_changed(runtime: Runtime, connection_id: int, changed: list[str], deleted: list[str]) -> SyncCounts | None:
    """Sync the deals a webhook named; None when the connection is gone or off. Calls are linked by the next sync
    pass: linking goes over every call, too much for each change of one deal."""
    with runtime.db.session() as session:
        row = session.get(CRMConnection, connection_id)
        if row is None or not row.enabled or row.kind not in SYNCED_KINDS:
            log.warning("changed deals of CRM connection %d not synced: no such connection", connection_id)
            return None
        session.expunge(row)
    return sync_deals(runtime, row, changed, deleted)


def changed_deals(runtime: Runtime, connection_id: int, changed: list[str], deleted: list[str]) -> None:
    """Sync a webhook's deals: a message to a publish worker in service mode, at once in embedded mode (SQLite)."""
    if runtime.db.engine.dialect.name == "sqlite":
        sync_changed(runtime, connection_id, changed, deleted)
        return
    message: dramatiq.Message[None] = dramatiq.Message(
        queue_name=PUBLISH, actor_name=CHANGED_ACTOR, args=(connection_id, changed, deleted), kwargs={}, options={}
    )
    runtime.broker.enqueue(message)
    log.info("queued %s", CHANGED_ACTOR, extra={"connection_id": connection_id, "deals": len(changed) + len(deleted)})


def risk_pass(runtime: Runtime, now: datetime | None = None, *, notify: bool = True) -> PassCounts:
    counts = run_risk_pass(runtime.db, now)
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

    def deals_changed(connection_id: int, changed: list[str], deleted: list[str]) -> None:
        sync_changed(runtime, connection_id, changed, deleted)

    # No retries for the passes: the next scheduled pass does the same work again. A webhook's deals are retried,
    # since no pass reads a change that came in before its anchor.
    passes = [
        dramatiq.actor(actor_name=name, queue_name=PUBLISH, broker=broker, max_retries=0)(fn)
        for name, fn in ((SYNC_ACTOR, deals_sync), (RISKS_ACTOR, deals_risks))
    ]
    return [
        *passes,
        dramatiq.actor(actor_name=CHANGED_ACTOR, queue_name=PUBLISH, broker=broker, max_retries=5)(deals_changed),
    ]
