"""``classguard purge``: delete records past the school's retention period now.

``classguard run`` does this every night; the command is for a school that runs
ClassGuard only now and then, or wants to see what the next purge will delete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from bot.cli_base import ConfigOption, DatabaseOption, app, console, fail
from bot.services import SetupError, open_log, settings_from
from storage.retention import purge_expired


@app.command()
def purge(
    config: ConfigOption = None,
    database: DatabaseOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Count what would be deleted, but delete nothing."),
    ] = False,
) -> None:
    """Delete incidents, notifications and people past the config's school.retention_days."""
    try:
        settings = settings_from(config)
        log = open_log(database)
    except SetupError as exc:
        raise fail(str(exc)) from None
    days = settings.school.retention_days
    counts = purge_expired(log, datetime.now(UTC), timedelta(days=days), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    table = Table("table", "rows", title=f"Records older than {days} days")
    for name, rows in counts.by_table().items():
        table.add_row(name, str(rows))
    console.print(table)
    suffix = " (dry run: nothing was deleted)" if dry_run else ""
    console.print(f"Purge {verb} {counts.total} rows{suffix}.")
