"""The speech evaluation's rows as console tables and markdown: rates as percentages, error counts beside them."""

from rich.console import Console
from rich.table import Table

from benchmarks.wer import Errors


def cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Errors):
        return f"{value.rate:.1%} ({value.errors}/{value.words})"
    if isinstance(value, float):
        # Every float in the rows is a rate (DER, JER, accuracy); counts are ints and durations are text.
        return f"{value:.1%}"
    return str(value)


def _columns(rows: list[dict]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def print_rows(console: Console, title: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = _columns(rows)
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(cell(row.get(column)) for column in columns))
    console.print(table)


def markdown_table(title: str, rows: list[dict]) -> str:
    if not rows:
        return f"**{title}**: no rows"
    columns = _columns(rows)
    lines = [f"**{title}**", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(column)) for column in columns) + " |" for row in rows]
    return "\n".join(lines)
