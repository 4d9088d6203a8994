"""What the command groups print to standard error: progress lines, and a failure that names the problem."""

import typer
from rich.console import Console

err = Console(stderr=True)


def report_error(message: str) -> None:
    """Print `message` as one error line, for a failure the command goes on after (one file among several)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` as an error; raise the returned Exit (status `code`) to end the command."""
    report_error(message)
    return typer.Exit(code)
