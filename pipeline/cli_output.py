"""What the command groups print to standard error: progress lines, and a failure that names the problem."""

import typer
from rich.console import Console

err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print `message` as an error; raise the returned Exit (status 2) to end the command."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)
