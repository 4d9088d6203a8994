"""The filtered calls' scorecards as a spreadsheet: one row per call, one column per script item.

Cells that come from people (rep names, script titles, signal text quoting the call) are made safe for
spreadsheets: a cell starting with = + - @, a tab or a carriage return would run as a formula in Excel or
LibreOffice, so it gets a leading apostrophe (OWASP's advice on CSV injection).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.db import Call, CallResultRow, CallSignalRow, Rep, ScorecardItemRow
from services.team_views import TeamFilter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def spreadsheet_safe(value: str) -> str:
    """`value` as a cell no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass
class ExportedCall:
    call_id: str
    created_at: datetime
    rep_name: str
    script: str
    score: float | None
    auto_failed: bool
    talk_ratio: float
    answers: dict[str, str] = field(default_factory=dict)
    signals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Export:
    items: list[tuple[str, str]]
    calls: list[ExportedCall]


def scorecard_export(session: Session, chosen: TeamFilter) -> Export:
    """Every call the filter selects, newest first, with each script item's answer; items in script order."""
    selected = (
        select(Call.id)
        .join(CallResultRow, CallResultRow.call_id == Call.id)
        .where(*chosen.conditions())
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Call.id,
            Call.created_at,
            Rep.name,
            CallResultRow.script_id,
            CallResultRow.script_version,
            CallResultRow.score_percent,
            CallResultRow.auto_failed,
            CallResultRow.rep_talk_ratio,
        )
        .join(CallResultRow, CallResultRow.call_id == Call.id)
        .outerjoin(Rep, Rep.id == Call.rep_id)
        .where(*chosen.conditions())
        .order_by(Call.created_at.desc(), Call.id)
    ).all()
    calls = {
        row[0]: ExportedCall(row[0], row[1], row[2] or "", f"{row[3]}@{row[4]}", row[5], bool(row[6]), row[7])
        for row in rows
    }
    # The first row written for an item keeps the script's order across calls.
    items = session.execute(
        select(ScorecardItemRow.item_id, func.min(ScorecardItemRow.title))
        .where(ScorecardItemRow.call_id.in_(selected))
        .group_by(ScorecardItemRow.item_id)
        .order_by(func.min(ScorecardItemRow.id))
    ).all()
    answers = session.execute(
        select(ScorecardItemRow.call_id, ScorecardItemRow.item_id, ScorecardItemRow.answer).where(
            ScorecardItemRow.call_id.in_(selected)
        )
    )
    for call_id, item_id, answer in answers:
        calls[call_id].answers[item_id] = answer
    signals = session.execute(
        select(CallSignalRow.call_id, CallSignalRow.text)
        .where(CallSignalRow.call_id.in_(selected))
        .order_by(CallSignalRow.id)
    )
    for call_id, text in signals:
        calls[call_id].signals.append(text)
    return Export([(item_id, title) for item_id, title in items], list(calls.values()))


def export_csv(export: Export, header: list[str], answer_text: Callable[[str], str]) -> str:
    """The export as CSV text starting with a byte-order mark, so Excel reads it as UTF-8.

    `header` names the fixed columns (call, date, rep, script, score %, auto-fail, rep talk share %, signals);
    the item columns are the items' titles, and `answer_text` words an answer in the reader's language.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    *fixed, signals_title = header
    writer.writerow([spreadsheet_safe(cell) for cell in [*fixed, *(title for _, title in export.items), signals_title]])
    for call in export.calls:
        cells = [
            call.call_id,
            f"{call.created_at:%Y-%m-%d %H:%M}",
            call.rep_name,
            call.script,
            "" if call.score is None else f"{call.score:.0f}",
            "1" if call.auto_failed else "0",
            f"{call.talk_ratio * 100:.0f}",
            *(answer_text(call.answers[item_id]) if item_id in call.answers else "" for item_id, _ in export.items),
            "; ".join(call.signals),
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return BOM + out.getvalue()
