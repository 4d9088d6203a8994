"""Deals from a file, for a CRM without an adapter: CSV (a header row of DealRecord's field names, comma or
semicolon separated, UTF-8) or JSON (a list of objects, or {"deals": [...]}).

Every row is checked before anything is saved: a file with a bad row is refused whole, each bad row named by its
line (CSV) or position (JSON) with the field and the problem, so fixing the file and importing it again is safe.
Importing the same file twice changes nothing the second time (services.deals.store).
"""

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from models.deals import DealRecord
from models.errors import BadInput
from services.deals.store import SaveCounts, save_deal

IMPORT_CRM = "import"
MAX_LISTED = 20


class ImportRefused(BadInput, ValueError):
    """A file that cannot be imported; the message names each bad row."""


def _row_problems(where: str, exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        place = ".".join(str(part) for part in error["loc"]) or "row"
        problems.append(f"{where}: {place}: {error['msg']}")
    return problems


def _csv_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    rows = []
    for row in reader:
        if None in row:
            raise ImportRefused(f"line {reader.line_num}: more cells than the header has columns")
        cells = {name.strip(): value.strip() for name, value in row.items() if name and value and value.strip()}
        if cells:
            rows.append((f"line {reader.line_num}", cells))
    return rows


def _json_rows(text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRefused(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict) and isinstance(data.get("deals"), list):
        data = data["deals"]
    if not isinstance(data, list):
        raise ImportRefused('expected a JSON list of deals or {"deals": [...]}')
    rows = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ImportRefused(f"deal {index}: expected an object")
        rows.append((f"deal {index}", item))
    return rows


def read_deals(path: Path) -> list[DealRecord]:
    """The file's deals, every one valid, or ImportRefused listing the bad rows."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    is_json = path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{"))
    rows = _json_rows(text) if is_json else _csv_rows(text)
    if not rows:
        raise ImportRefused(f"{path}: no deals in the file")
    records: list[DealRecord] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for where, cells in rows:
        try:
            record = DealRecord.model_validate(cells)
        except ValidationError as exc:
            problems.extend(_row_problems(where, exc))
            continue
        if record.external_id in seen:
            problems.append(f"{where}: external_id: {record.external_id!r} is already on {seen[record.external_id]}")
            continue
        seen[record.external_id] = where
        records.append(record)
    if problems:
        listed = problems[:MAX_LISTED] + (
            [f"... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else []
        )
        raise ImportRefused(f"{path.name}: nothing imported, {len(problems)} problem(s):\n" + "\n".join(listed))
    return records


def import_deals(session: Session, path: Path, crm: str = IMPORT_CRM) -> SaveCounts:
    """Save every deal of the file (all or none)."""
    counts = SaveCounts()
    for record in read_deals(path):
        save_deal(session, crm, record, counts)
    return counts
