"""Reading the access audit log: the admin page's filtered, paginated view, and its CSV and JSONL exports.

The exports carry each entry's hashes, so a copy kept elsewhere can be checked against the live chain later.
CSV cells are made spreadsheet-safe the same way as the scorecard export.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from pipeline.db.audit import AuditEntry
from services.audit import canonical_json
from services.team_export import BOM, spreadsheet_safe

PAGE_SIZE = 50
CSV_COLUMNS = ("id", "at", "actor_id", "actor", "action", "target", "ip", "detail", "prev_hash", "entry_hash")


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to show: by user, action (a group such as 'sign_in' or one action), call, and dates (inclusive,
    UTC)."""

    actor_id: int | None = None
    action: str | None = None
    call_id: str | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.actor_id is not None:
            found.append(AuditEntry.actor_id == self.actor_id)
        if self.action:
            found.append(
                AuditEntry.action == self.action
                if "." in self.action
                else AuditEntry.action.startswith(self.action + ".", autoescape=True)
            )
        if self.call_id:
            found.append(AuditEntry.target == f"call:{self.call_id}")
        if self.since is not None:
            found.append(AuditEntry.at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            found.append(AuditEntry.at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return found


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def audit_page(session: Session, chosen: AuditFilter, page: int = 1, per_page: int = PAGE_SIZE) -> AuditPage:
    """Newest first; `page` counts from 1 and is clamped to the pages there are."""
    conditions = chosen.conditions()
    total = int(session.scalar(select(func.count(AuditEntry.id)).where(*conditions)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return AuditPage(list(entries), total, page, pages)


def _entries(session: Session, chosen: AuditFilter, batch: int = 1000) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after, *chosen.conditions()).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def _record(entry: AuditEntry) -> dict[str, Any]:
    content = json.loads(canonical_json(entry))
    return {"id": entry.id, **content, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash}


def export_jsonl(session: Session, chosen: AuditFilter) -> str:
    """One JSON object a line, oldest first; `at`, `actor_id`, `actor`, `action`, `target`, `detail` and `ip` are
    exactly what the entry's hash covers."""
    return "".join(json.dumps(_record(entry), ensure_ascii=False) + "\n" for entry in _entries(session, chosen))


def export_csv(session: Session, chosen: AuditFilter) -> str:
    """CSV with a byte-order mark (Excel reads it as UTF-8), oldest first, no cell read as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in _entries(session, chosen):
        record = _record(entry)
        record["detail"] = json.dumps(record["detail"], ensure_ascii=False, sort_keys=True)
        writer.writerow(
            [spreadsheet_safe("" if record[column] is None else str(record[column])) for column in CSV_COLUMNS]
        )
    return BOM + out.getvalue()
