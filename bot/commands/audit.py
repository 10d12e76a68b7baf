"""``classguard parse``, ``scan`` and ``demo``: auditing exported chats."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli_base import ConfigOption, RosterOption, app, console, err, fail
from bot.scan_report import ScanReport, write_html, write_json
from bot.services import SetupError, classifier_for, open_log, settings_from
from config.loader import ConfigError, load_roster
from config.schema import Group, Mode, Roster, Settings
from moderation.actions import (
    AlertModerators,
    AlertOffice,
    EscalateToSLT,
    RecommendRemoval,
    WarnPrivately,
)
from moderation.decision import Decision
from moderation.exports import Export, ExportError, open_export
from moderation.message import Message
from moderation.pipeline import Pipeline
from moderation.replay import export_messages

BATCH = 128
DEMO_GROUP = "oakfield-year4"


def _open(path: Path) -> Export:
    try:
        return open_export(path)
    except ExportError as exc:
        raise fail(str(exc)) from None


@app.command()
def parse(
    export: Annotated[Path, typer.Argument(help="WhatsApp .txt or Telegram result.json.")],
) -> None:
    """Print an export's messages as JSON Lines: timestamp, author, text, media."""
    exported = _open(export)
    try:
        for item in exported.messages():
            row = {
                "timestamp": item.timestamp.isoformat(),
                "author": item.author,
                "text": item.text,
                "media": item.media.value if item.media else None,
            }
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    except ExportError as exc:
        raise fail(str(exc)) from None
    if exported.skipped:
        err.print(f"{exported.skipped} unreadable line(s) skipped")


def _batches(messages: Iterator[Message]) -> Iterator[list[Message]]:
    while batch := list(islice(messages, BATCH)):
        yield batch


def _scan_settings(settings: Settings, roster: Path | None, group_id: str) -> Settings:
    """The school's settings plus the scanned chat as a ``warn`` group with its roster."""
    try:
        class_roster = load_roster(roster) if roster else Roster()
    except ConfigError as exc:
        raise fail(str(exc)) from None
    group = Group(
        platform="export",
        chat_id=group_id,
        name="Scanned chat",
        mode=Mode.WARN,
        roster=class_roster,
    )
    return settings.model_copy(update={"groups": [*settings.groups, group]})


def replay(
    pipeline: Pipeline, messages: Iterator[Message], label: str
) -> list[tuple[Message, Decision]]:
    """Run messages through the pipeline in batches with a progress display."""
    results: list[tuple[Message, Decision]] = []
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} messages"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)
        for batch in _batches(messages):
            results += zip(batch, pipeline.process_many(batch), strict=True)
            progress.advance(task, len(batch))
    return results


@app.command()
def scan(
    export: Annotated[Path, typer.Argument(help="WhatsApp .txt or Telegram result.json.")],
    roster: RosterOption = None,
    config: ConfigOption = None,
    html: Annotated[Path | None, typer.Option(help="Also write an HTML report here.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write a JSON report here.")
    ] = None,
    database: Annotated[
        str, typer.Option(help="Incident log for the scan (default: a temporary SQLite file).")
    ] = "",
) -> None:
    """Report an exported chat's breaches, per-parent counts and the escalation they trigger."""
    exported = _open(export)
    with ExitStack() as cleanup:
        if not database:  # a scratch log, deleted with the flagged messages it holds
            folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="classguard-scan-"))
            database = f"sqlite:///{Path(folder) / 'scan.db'}"
        try:
            settings = _scan_settings(settings_from(config), roster, "scan")
            log = open_log(database)
            cleanup.callback(log.engine.dispose)
            pipeline = Pipeline(settings, classifier_for(settings), log)
        except SetupError as exc:
            raise fail(str(exc)) from None
        try:
            results = replay(
                pipeline,
                export_messages(exported.messages(), "scan", settings.digest.timezone),
                f"scanning {export.name}",
            )
        except ExportError as exc:
            raise fail(str(exc)) from None
    report = ScanReport.build(export.name, exported.format, exported.skipped, results)
    report.print(console)
    if html:
        write_html(report, html)
        console.print(f"HTML report: {html}")
    if json_out:
        write_json(report, json_out)
        console.print(f"JSON report: {json_out}")


@app.command()
def demo(
    database: Annotated[Path, typer.Option(help="SQLite file for the demo (recreated).")] = Path(
        "classguard-demo.db"
    ),
) -> None:
    """Replay the bundled example class chat through ClassGuard and show who hears what."""
    from config.loader import example_config_path

    chat = example_config_path().with_name("example_chat.txt")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    try:
        settings = settings_from(None)
        pipeline = Pipeline(settings, classifier_for(settings), open_log(f"sqlite:///{database}"))
    except SetupError as exc:
        raise fail(str(exc)) from None
    group = settings.group("export", DEMO_GROUP)
    assert group is not None
    console.rule(f"ClassGuard demo: {settings.school.name}")
    console.print(
        f"Replaying the example chat of [bold]{group.name}[/] (mode: {group.mode.value}) "
        f"into {database}.\nEach flagged message shows what the parent, the moderators and "
        "senior leaders would receive. Everything else leaves only a daily count.\n"
    )
    messages = export_messages(_open(chat).messages(), DEMO_GROUP, settings.digest.timezone)
    results = replay(pipeline, messages, "replaying")
    for message, decision in results:
        if decision.flagged:
            show_decision(message, decision, settings.escalation.window_days)
    show_summary(results)


def show_decision(message: Message, decision: Decision, window_days: int) -> None:
    """One flagged message and every notification it produced."""
    assert decision.clause is not None
    console.print(
        f"[dim]{message.sent_at:%a %-d %b %H:%M}[/]  [bold]{message.sender_name}[/]: "
        f"{message.text or '[' + str(message.media) + ']'}"
    )
    console.print(
        f"  [red]flagged[/] {', '.join(c.value for c in decision.categories)} "
        f"({decision.severity.label}) · clause {decision.clause.id} {decision.clause.title} · "
        f"breach {decision.strike} in {window_days} days · case #{decision.incident_id}"
    )
    for action in decision.actions or decision.would_have:
        if isinstance(action, WarnPrivately):
            console.print(
                Panel(
                    action.text,
                    title=f"to {message.sender_name}, privately",
                    border_style="green",
                    width=100,
                )
            )
        elif isinstance(action, AlertModerators):
            console.print(
                Panel(
                    action.text, title="to the group's moderators", border_style="yellow", width=100
                )
            )
        elif isinstance(action, EscalateToSLT):
            console.print(
                Panel(action.text, title="to senior leadership", border_style="red", width=100)
            )
            if action.letter:
                console.print(
                    Panel(
                        action.letter,
                        title="draft letter for SLT to review",
                        border_style="magenta",
                        width=100,
                    )
                )
        elif isinstance(action, AlertOffice):
            console.print(
                Panel(action.text, title="to the school office", border_style="red", width=100)
            )
        elif isinstance(action, RecommendRemoval):
            console.print(
                Panel(
                    action.text,
                    title="to the moderators: recommendation",
                    border_style="red",
                    width=100,
                )
            )
    console.print()


def show_summary(results: Sequence[tuple[Message, Decision]]) -> None:
    """Per-parent counts and what the ladder reached."""
    table = Table("parent", "messages", "breaches", "highest step", title="Summary")
    people: dict[str, list[Decision]] = {}
    for message, decision in results:
        people.setdefault(message.sender_name, []).append(decision)
    for name, decisions in sorted(people.items()):
        flagged = [d for d in decisions if d.flagged]
        step = flagged[-1].step if flagged else "-"
        table.add_row(name, str(len(decisions)), str(len(flagged)), step)
    console.print(table)
    flagged_total = sum(1 for _, d in results if d.flagged)
    console.print(
        f"{len(results)} messages, {flagged_total} flagged; the other "
        f"{len(results) - flagged_total} were not stored."
    )
