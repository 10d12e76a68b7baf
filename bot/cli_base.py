"""The Typer app every ``classguard`` command registers on, and shared options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="ClassGuard: keeps school parents' class groups within the school's code of conduct.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="School config YAML (default: the bundled example)."),
]
RosterOption = Annotated[
    Path | None,
    typer.Option("--roster", "-r", help="Class roster YAML: {pupils: [...], staff: [...]}."),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        envvar="DATABASE_URL",
        help="SQLAlchemy URL of the incident log (default: sqlite:///classguard.db).",
    ),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True, markup=True)
    return typer.Exit(code)
