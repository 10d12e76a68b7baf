"""``classguard init`` and ``check-config``: getting a school's config right."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli_base import app, console, fail
from bot.services import SetupError, settings_from
from config.loader import example_config_path


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example config.")] = Path(
        "classguard.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example school config to edit."""
    if path.exists() and not force:
        raise fail(f"{path} already exists (use --force to overwrite)")
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    console.print(f"Wrote {path}. Edit it, then run: classguard check-config {path}")


@app.command("check-config")
def check_config(
    path: Annotated[Path, typer.Argument(help="The config file to validate.")],
) -> None:
    """Validate a school config and summarise it."""
    try:
        settings = settings_from(path)
    except SetupError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"{path}: OK — {settings.school.name}, {len(settings.clauses)} clauses, "
        f"{len(settings.groups)} groups"
    )
