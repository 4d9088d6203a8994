"""The deal sync from a team's CRM connection (amoCRM / Kommo, Bitrix24, HubSpot; services.deals.source says what
each is asked): pipelines and stages, users (mapped to reps by e-mail), then the deals changed since the last pass,
page by page, each page saved in its own transaction with the sync's position, so a pass that fails half-way
resumes after the last saved page; then the deals deleted in the CRM. The first pass reads every deal and
backfills each deal's history from the CRM's own records (services.deals.history).

A change webhook syncs just the deals it names (`sync_deals`), beside a running pass: saving a deal is an upsert
that never lets an older state overwrite a newer one.

Deals of a connection are stored under `<kind>:<connection id>`, so two accounts' ids never meet.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from crm_fill.adapters import AmoCRMAdapter, Bitrix24Adapter, HubSpotAdapter
from crm_fill.adapters.mapping import FieldMap
from models.deals import DealRecord
from pipeline.db import CRMConnection, Deal, DealSyncState
from pipeline.runtime import Runtime
from services.crm_connections import open_adapter
from services.deals.amocrm import AmoCRMDeals
from services.deals.bitrix24 import Bitrix24Deals
from services.deals.facts import aware
from services.deals.history import backfill
from services.deals.hubspot import HubSpotDeals
from services.deals.source import DealSource, PastValue
from services.deals.store import SaveCounts, save_deal, save_pipeline, save_stage, save_user

log = logging.getLogger(__name__)

SYNCED_KINDS = ("amocrm", "bitrix24", "hubspot")
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
    history: int = 0  # history entries backfilled


def connection_crm(row: CRMConnection) -> str:
    return f"{row.kind}:{row.id}"


def open_source(runtime: Runtime, row: CRMConnection, page_size: int | None = None) -> DealSource:
    """The connection's deal source; `page_size` below the CRM's own (amoCRM 250, HubSpot 100) for tests."""
    adapter = open_adapter(runtime.db, runtime.settings, row)
    field_map = FieldMap.model_validate(row.field_map)
    sized = {"page_size": page_size} if page_size else {}
    if isinstance(adapter, AmoCRMAdapter):
        return AmoCRMDeals(adapter, field_map, **sized)
    if isinstance(adapter, Bitrix24Adapter):
        return Bitrix24Deals(adapter)
    if isinstance(adapter, HubSpotAdapter):
        return HubSpotDeals(adapter, **sized)
    adapter.close()
    raise TypeError(f"CRM connection {row.id} is {row.kind}: no deal sync")


def _newest(moments: Iterable[datetime | None]) -> datetime | None:
    return max((found for found in moments if found is not None), default=None)


def _state(runtime: Runtime, connection_id: int) -> DealSyncState:
    with runtime.db.session() as session:
        state = session.get(DealSyncState, connection_id)
        if state is None:
            state = DealSyncState(connection_id=connection_id)
            session.add(state)
        return state


def _structure(runtime: Runtime, crm: str, source: DealSource) -> None:
    pipelines = source.pipelines()
    users = list(source.users())
    with runtime.db.session() as session:
        for pipeline in pipelines:
            row = save_pipeline(session, crm, pipeline.external_id, pipeline.name)
            for position, stage in enumerate(pipeline.stages):
                save_stage(
                    session,
                    row,
                    stage.external_id,
                    stage.name,
                    position=position,
                    outcome=stage.outcome,
                    probability=stage.probability,
                )
        for user in users:
            save_user(session, crm, user.external_id, user.name, user.email)


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


def sync_connection(
    runtime: Runtime, row: CRMConnection, *, page_size: int | None = None, full: bool = False
) -> SyncCounts:
    """One pass over the connection: the deals changed since the last pass (every deal when `full` or the first
    time; a full pass also finds Bitrix24's deleted deals, which only webhooks announce otherwise)."""
    with _only_sync(runtime, row.id) as mine:
        if not mine:
            log.info("deal sync of CRM connection %d is running elsewhere; skipped", row.id)
            return SyncCounts(row.id, skipped=True)
        source = open_source(runtime, row, page_size)
        try:
            return _sync(runtime, row, source, full)
        finally:
            source.close()


def _stored_ids(session: Session, crm: str, ids: list[str]) -> set[str]:
    return set(session.scalars(select(Deal.external_id).where(Deal.crm == crm, Deal.external_id.in_(ids))))


def _save_page(
    runtime: Runtime, row: CRMConnection, source: DealSource, records: list[DealRecord], backfilling: bool
) -> tuple[SaveCounts, int]:
    """Save one page, its new deals' history and the sync's position in one transaction; the counts and the
    history entries written."""
    crm, saved = connection_crm(row), SaveCounts()
    past: list[PastValue] = []
    if backfilling:
        with runtime.db.session() as session:
            known = _stored_ids(session, crm, [record.external_id for record in records])
        new = [record for record in records if record.external_id not in known]
        past = source.history(new) if new else []
    written = 0
    with runtime.db.session() as session:
        for record in records:
            added = saved.added
            deal = save_deal(session, crm, record, saved)
            mine = [value for value in past if value.deal == record.external_id]
            if saved.added > added and mine:
                written += backfill(session, crm, deal, mine)
        newest = _newest(record.modified_at for record in records)
        stored = session.get(DealSyncState, row.id)
        if stored is not None and newest is not None:
            stored.deals_since = newest
    return saved, written


def _sync(runtime: Runtime, row: CRMConnection, source: DealSource, full: bool) -> SyncCounts:
    crm, counts = connection_crm(row), SyncCounts(row.id)
    state = _state(runtime, row.id)
    first = state.finished_at is None
    _structure(runtime, crm, source)
    since = aware(state.deals_since) if state.deals_since and not full else None
    for records in source.deal_pages(since):
        saved, written = _save_page(runtime, row, source, records, first)
        counts.pages += 1
        counts.added += saved.added
        counts.changed += saved.changed
        counts.unchanged += saved.unchanged
        counts.history += written
        log.info("deal sync page", extra={"connection_id": row.id, "page": counts.pages, "deals": len(records)})
    deletions = source.deletions(aware(state.deletions_since) if state.deletions_since else None, full=full or first)
    with runtime.db.session() as session:
        counts.deleted = _mark_deleted(session, crm, deletions.ids)
        if deletions.live is not None:
            stored = set(session.scalars(select(Deal.external_id).where(Deal.crm == crm, Deal.deleted.is_(False))))
            counts.deleted += _mark_deleted(session, crm, sorted(stored - deletions.live))
        stored_state = session.get(DealSyncState, row.id)
        if stored_state is not None:
            stored_state.deletions_since = deletions.newest or stored_state.deletions_since
            stored_state.finished_at = datetime.now(UTC)
    log.info("deal sync done", extra={"crm": crm, **counts.__dict__})
    return counts


def _mark_deleted(session: Session, crm: str, ids: list[str]) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(Deal).where(Deal.crm == crm, Deal.external_id.in_(ids), Deal.deleted.is_(False)).values(deleted=True)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def sync_deals(runtime: Runtime, row: CRMConnection, changed: list[str], deleted: list[str]) -> SyncCounts:
    """The deals a change webhook named: the changed ones read again, the deleted ones marked deleted."""
    crm, counts, saved = connection_crm(row), SyncCounts(row.id), SaveCounts()
    source = open_source(runtime, row)
    try:
        records = source.deals(changed) if changed else []
    finally:
        source.close()
    with runtime.db.session() as session:
        for record in records:
            save_deal(session, crm, record, saved)
        # A deal named as changed that the CRM no longer shows was deleted meanwhile.
        gone = sorted(set(deleted) | (set(changed) - {record.external_id for record in records}))
        counts.deleted = _mark_deleted(session, crm, gone)
    counts.added, counts.changed, counts.unchanged = saved.added, saved.changed, saved.unchanged
    log.info("deal sync of changed deals", extra={"crm": crm, **counts.__dict__})
    return counts
