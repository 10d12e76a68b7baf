"""``classguard cases``, ``case``, ``history``, ``letter`` and ``outbox``: working on cases.

Moderators and senior leaders read and move cases here; every change is recorded
with who made it (``--as``, default the login name) and when.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.panel import Panel
from rich.table import Table

from bot.cli_base import ConfigOption, DatabaseOption, app, console, fail
from bot.outbox_worker import route
from bot.services import SetupError, open_log, settings_from
from classifiers.categories import Severity
from config.schema import Settings
from moderation.cases import Case, CaseBook, CaseError, CaseState
from moderation.digest import STEP_LABELS, heading
from storage.models import Incident, OutboxItem
from storage.outbox import OutboxQueue
from storage.repository import IncidentLog

ActorOption = Annotated[
    str | None, typer.Option("--as", help="Who is acting (default: your login name).")
]
STATE_STYLES = {"open": "yellow", "confirmed": "red", "false_positive": "dim", "closed": "dim"}


def _open(config: ConfigOption, database: DatabaseOption) -> tuple[Settings, IncidentLog]:
    try:
        return settings_from(config), open_log(database)
    except SetupError as exc:
        raise fail(str(exc)) from None


def _actor(name: str | None) -> str:
    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "moderator"


class _Labels:
    """How cases are shown for one school: local times, group names, clause titles."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.digest.timezone)

    def when(self, moment: datetime, fmt: str = "%a %-d %b %Y %H:%M") -> str:
        return moment.astimezone(self.zone).strftime(fmt)

    def group(self, platform: str, chat_id: str) -> str:
        group = self.settings.group(platform, chat_id)
        return group.name if group else chat_id

    def clauses(self, incident: Incident) -> str:
        return ", ".join(heading(self.settings, c) for c in incident.categories)

    @staticmethod
    def step(incident: Incident) -> str:
        return STEP_LABELS.get(incident.step, incident.step)

    @staticmethod
    def state(case: Case) -> str:
        style = STATE_STYLES.get(case.state.value, "")
        text = case.state.value.replace("_", " ")
        return f"[{style}]{text}[/]" if style else text


def _group_id(settings: Settings, wanted: str) -> str:
    """A ``--group`` given by chat id or by the group's name in the config."""
    for group in settings.groups:
        if wanted in (group.chat_id, group.name) or wanted.casefold() == group.name.casefold():
            return group.chat_id
    return wanted


@app.command("cases")
def list_cases(
    open_only: Annotated[
        bool, typer.Option("--open", help="Only cases not yet closed or false positives.")
    ] = False,
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Only this group (chat id or name).")
    ] = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """List cases, newest first."""
    settings, log = _open(config, database)
    labels = _Labels(settings)
    group_id = _group_id(settings, group) if group else None
    found = CaseBook(log).cases(open_only=open_only, group_id=group_id)
    if not found:
        console.print("No cases." if not open_only else "No open cases.")
        return
    table = Table("case", "sent", "group", "parent", "clause", "severity", "step", "state")
    for case in found:
        incident = case.incident
        table.add_row(
            f"#{case.id}",
            labels.when(incident.sent_at, "%-d %b %H:%M"),
            labels.group(incident.platform, incident.group_id),
            incident.person.display_name,
            labels.clauses(incident),
            Severity(incident.severity).label,
            labels.step(incident),
            labels.state(case),
        )
    console.print(table)
    console.print(f"{len(found)} case(s). Details: classguard case NUMBER")


def _show(case: Case, labels: _Labels) -> None:
    incident = case.incident
    counts = "counts" if case.strike_counts else "does not count (taken back or an edit)"
    lines = [
        f"[bold]Parent[/]   {incident.person.display_name}",
        f"[bold]Group[/]    {labels.group(incident.platform, incident.group_id)}"
        f" ({incident.mode} mode)",
        f"[bold]Sent[/]     {labels.when(incident.sent_at)}",
        f"[bold]Clause[/]   {incident.clause_id}: {labels.clauses(incident)}"
        f" ({Severity(incident.severity).label})",
        f"[bold]Step[/]     {labels.step(incident)}; the breach {counts}",
    ]
    if incident.advice:
        lines.append(f"[bold]Advice[/]   {incident.advice}")
    text = incident.text or f"[{incident.media or 'media'}]"
    lines += ["", f"[bold]Message[/]  {text}"]
    reasons = [str(e.get("detail", "")) for e in incident.evidence[:4] if e.get("detail")]
    if reasons:
        lines.append(f"[bold]Why[/]      {'; '.join(reasons)}")
    title = f"Case #{case.id}: {labels.state(case)}"
    console.print(Panel("\n".join(lines), title=title, title_align="left", width=100), markup=True)
    events = Table("when", "who", "what", "note", title="History of the case", title_justify="left")
    for event in incident.events:
        events.add_row(
            labels.when(event.at, "%-d %b %H:%M"),
            event.actor,
            event.kind.replace("_", " "),
            event.note or "",
        )
    console.print(events)


@app.command("case")
def show_case(
    number: Annotated[int, typer.Argument(help="The case number.")],
    confirm: Annotated[bool, typer.Option("--confirm", help="The breach is real.")] = False,
    false_positive: Annotated[
        bool,
        typer.Option("--false-positive", help="The message was fine: takes the strike back."),
    ] = False,
    actioned: Annotated[
        bool, typer.Option("--actioned", help="The school has acted (a meeting, a letter).")
    ] = False,
    close: Annotated[bool, typer.Option("--close", help="Nothing more to do.")] = False,
    pardon: Annotated[
        bool, typer.Option("--pardon", help="Take the strike back, keeping the case's state.")
    ] = False,
    note: Annotated[
        str | None, typer.Option("--note", help="A note for the record (with a change or alone).")
    ] = None,
    actor: ActorOption = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Show a case, or record a decision on it."""
    moves = {
        CaseState.CONFIRMED: confirm,
        CaseState.FALSE_POSITIVE: false_positive,
        CaseState.ACTIONED: actioned,
        CaseState.CLOSED: close,
    }
    chosen = [state for state, wanted in moves.items() if wanted]
    if len(chosen) + pardon > 1:
        raise fail("choose one of --confirm, --false-positive, --actioned, --close, --pardon")
    if note is not None and not note.strip():
        raise fail("--note needs some text")
    settings, log = _open(config, database)
    book = CaseBook(log)
    who = _actor(actor)
    try:
        if chosen:
            case = book.move(number, chosen[0], who, note)
            console.print(f"Case #{number} is now {case.state.value.replace('_', ' ')}.")
        elif pardon:
            case = book.pardon(number, who, note)
            console.print(f"Case #{number}: strike taken back.")
        elif note is not None:
            case = book.note(number, who, note.strip())
            console.print(f"Case #{number}: note added.")
        else:
            case = book.get(number)
    except CaseError as exc:
        raise fail(str(exc)) from None
    _show(case, _Labels(settings))


@app.command()
def history(
    person: Annotated[str, typer.Argument(help="The parent's display name (or pseudonym).")],
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Every case about one parent, oldest first, and what still counts."""
    settings, log = _open(config, database)
    labels = _Labels(settings)
    try:
        found = CaseBook(log).chronology(person)
    except CaseError as exc:
        raise fail(str(exc)) from None
    table = Table("case", "sent", "group", "clause", "severity", "step", "state", "counts")
    for case in found:
        incident = case.incident
        table.add_row(
            f"#{case.id}",
            labels.when(incident.sent_at, "%-d %b %Y %H:%M"),
            labels.group(incident.platform, incident.group_id),
            labels.clauses(incident),
            Severity(incident.severity).label,
            labels.step(incident),
            labels.state(case),
            "yes" if case.strike_counts else "[dim]no[/]",
        )
    name = found[-1].incident.person.display_name
    console.print(table)
    window = settings.escalation.window_days
    since = datetime.now(UTC) - timedelta(days=window)
    live = [c for c in found if c.strike_counts and c.incident.sent_at >= since]
    console.print(f"{name}: {len(live)} breach(es) counting in the last {window} days.")


def _escalations(log: IncidentLog, incident: Incident) -> list[OutboxItem]:
    """The SLT escalations with a drafted letter queued for an incident.

    Items are matched by case number, or, where an item does not record one, by
    the platform message it is about.
    """
    return [
        item
        for item in log.outbox()
        if item.kind == "escalate_to_slt"
        and item.payload.get("letter")
        and (
            item.incident_id == incident.id
            or (
                item.incident_id is None
                and (item.platform, item.group_id, item.payload.get("message_ref"))
                == (incident.platform, incident.group_id, incident.message_ref)
            )
        )
    ]


@app.command()
def letter(
    number: Annotated[int, typer.Argument(help="The case number.")],
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Print the letter drafted for senior leaders on a case, if there is one."""
    _, log = _open(config, database)
    try:
        case = CaseBook(log).get(number)
    except CaseError as exc:
        raise fail(str(exc)) from None
    drafts = [str(item.payload["letter"]) for item in _escalations(log, case.incident)]
    if not drafts:
        why = " (its group is in observe mode)" if case.incident.mode == "observe" else ""
        raise fail(f"case #{number} has no drafted letter{why}")
    console.print(drafts[-1], markup=False, highlight=False)


@app.command()
def outbox(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only notifications that failed.")
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="Include notifications already sent.")
    ] = False,
    retry: Annotated[
        int | None, typer.Option("--retry", help="Send this failed notification again.")
    ] = None,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Notifications waiting, failed or (with --all) sent; --retry N queues a failed one again."""
    settings, log = _open(config, database)
    if retry is not None:
        if not OutboxQueue(log).retry(retry, datetime.now(UTC)):
            raise fail(f"outbox item #{retry} does not exist or has not failed")
        console.print(f"Outbox item #{retry} will be sent at the worker's next pass.")
        return
    statuses = ["failed"] if failed else None if show_all else ["pending", "sending", "failed"]
    items = log.outbox(statuses)
    if not items:
        console.print("Nothing in the outbox." if show_all else "Nothing waiting or failed.")
        return
    labels = _Labels(settings)
    table = Table("#", "queued", "what", "to", "group", "case", "status", "tries", "next / error")
    for item in items:
        detail = item.last_error or ""
        if item.status == "pending":
            detail = f"next try {labels.when(item.next_attempt_at, '%-d %b %H:%M')}" + (
                f": {detail}" if detail else ""
            )
        elif item.status == "sent" and item.sent_at is not None:
            detail = f"sent {labels.when(item.sent_at, '%-d %b %H:%M')}"
        style = {"failed": "red", "sent": "dim"}.get(item.status, "")
        table.add_row(
            str(item.id),
            labels.when(item.created_at, "%-d %b %H:%M"),
            item.kind.replace("_", " "),
            route(item),
            labels.group(item.platform, item.group_id),
            f"#{item.incident_id}" if item.incident_id else "",
            f"[{style}]{item.status}[/]" if style else item.status,
            str(item.attempts),
            detail,
        )
    console.print(table)
    if any(i.status == "failed" for i in items):
        console.print("Send a failed notification again with: classguard outbox --retry NUMBER")
