"""The deal sync from a team's CRM connection (amoCRM / Kommo; Bitrix24 and HubSpot connections are not synced
yet and are skipped): pipelines and stages, users (mapped to reps by e-mail), then the deals changed since the last
pass, page by page, each page saved in its own transaction with the sync's position, so a pass that fails half-way
resumes after the last saved page; then the deals deleted in the CRM. The first pass reads every deal; the history
of a deal starts at the first pass (amoCRM's event history is not read back).

Deals of a connection are stored under `amocrm:<connection id>`, so two accounts' ids never meet.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text, update

from crm_fill.adapters.amocrm import AmoCRMAdapter
from crm_fill.adapters.mapping import FieldMap
from pipeline.db import CRMConnection, Deal, DealSyncState
from pipeline.runtime import Runtime
from services.crm_connections import open_adapter
from services.deals.amocrm import PAGE, STATUS_OUTCOMES, AmoCRMDeals, lead_record, moment
from services.deals.facts import aware
from services.deals.store import SaveCounts, save_deal, save_pipeline, save_stage, save_user

log = logging.getLogger(__name__)

SYNCED_KINDS = ("amocrm",)


SYNC_LOCK = 7243013


@dataclass
class SyncCounts:
    connection_id: int
    skipped: bool = False
    pages: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0


def connection_crm(row: CRMConnection) -> str:
    return f"{row.kind}:{row.id}"


def _newest(moments: Iterable[datetime | None]) -> datetime | None:
    return max((found for found in moments if found is not None), default=None)


def _state(runtime: Runtime, connection_id: int) -> DealSyncState:
    with runtime.db.session() as session:
        state = session.get(DealSyncState, connection_id)
        if state is None:
            state = DealSyncState(connection_id=connection_id)
            session.add(state)
        return state


def _structure(runtime: Runtime, crm: str, source: AmoCRMDeals) -> None:
    pipelines = source.pipelines()
    users = list(source.users())
    with runtime.db.session() as session:
        for pipeline in pipelines:
            row = save_pipeline(session, crm, str(pipeline["id"]), pipeline.get("name"))
            statuses = sorted((pipeline.get("_embedded") or {}).get("statuses") or [], key=lambda s: s.get("sort", 0))
            for position, status in enumerate(statuses):
                save_stage(
                    session,
                    row,
                    str(status["id"]),
                    status.get("name"),
                    position=position,
                    # Won and lost are fixed in amoCRM; other stages keep the mapping made on the admin page.
                    outcome=STATUS_OUTCOMES.get(int(status["id"])),
                )
        for user in users:
            save_user(session, crm, str(user["id"]), user.get("name"), user.get("email"))


@contextmanager
def _only_sync(runtime: Runtime, connection_id: int) -> Iterator[bool]:
    """Whether this process may sync the connection now: on PostgreSQL one sync per connection at a time (a manual
    `callintel deals sync` beside a scheduled one), held on its own database connection until the sync ends."""
    if runtime.db.engine.dialect.name != "postgresql":
        yield True
        return
    with runtime.db.engine.connect() as connection:
        key = {"kind": SYNC_LOCK, "id": connection_id}
        taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:kind, :id)"), key).scalar())
        try:
            yield taken
        finally:
            if taken:
                connection.execute(text("SELECT pg_advisory_unlock(:kind, :id)"), key)


def sync_amocrm(runtime: Runtime, row: CRMConnection, *, page_size: int = PAGE) -> SyncCounts:
    with _only_sync(runtime, row.id) as mine:
        if not mine:
            log.info("deal sync of CRM connection %d is running elsewhere; skipped", row.id)
            return SyncCounts(row.id, skipped=True)
        return _sync_amocrm(runtime, row, page_size)


def _sync_amocrm(runtime: Runtime, row: CRMConnection, page_size: int) -> SyncCounts:
    adapter = open_adapter(runtime.db, runtime.settings, row)
    if not isinstance(adapter, AmoCRMAdapter):
        raise TypeError(f"CRM connection {row.id} is {row.kind}, not amocrm")
    crm, counts = connection_crm(row), SyncCounts(row.id)
    field_map = FieldMap.model_validate(row.field_map)
    source = AmoCRMDeals(adapter, page_size)
    try:
        state = _state(runtime, row.id)
        currency = source.currency()
        _structure(runtime, crm, source)
        for leads in source.lead_pages(aware(state.deals_since) if state.deals_since else None):
            contact_ids = sorted(
                {int(c["id"]) for lead in leads for c in ((lead.get("_embedded") or {}).get("contacts") or [])}
            )
            contacts = source.contacts(contact_ids) if contact_ids else {}
            saved = SaveCounts()
            with runtime.db.session() as session:
                for lead in leads:
                    save_deal(session, crm, lead_record(lead, contacts, currency, field_map), saved)
                newest = _newest(moment(lead.get("updated_at")) for lead in leads)
                stored = session.get(DealSyncState, row.id)
                if stored is not None and newest is not None:
                    stored.deals_since = newest
            counts.pages += 1
            counts.added += saved.added
            counts.changed += saved.changed
            counts.unchanged += saved.unchanged
            log.info("deal sync page", extra={"connection_id": row.id, "page": counts.pages, "deals": len(leads)})
        deletions = list(source.deletions(aware(state.deletions_since) if state.deletions_since else None))
        with runtime.db.session() as session:
            ids = [str(event["entity_id"]) for event in deletions if event.get("entity_type", "lead") == "lead"]
            if ids:
                result = session.execute(
                    update(Deal)
                    .where(Deal.crm == crm, Deal.external_id.in_(ids), Deal.deleted.is_(False))
                    .values(deleted=True)
                )
                counts.deleted = result.rowcount or 0  # type: ignore[attr-defined]
            stored = session.get(DealSyncState, row.id)
            if stored is not None:
                newest_deletion = _newest(moment(event.get("created_at")) for event in deletions)
                stored.deletions_since = newest_deletion or stored.deletions_since
                stored.finished_at = datetime.now(UTC)
    finally:
        adapter.close()
    log.info("deal sync done", extra={"crm": crm, **counts.__dict__})
    return counts
