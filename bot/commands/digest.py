"""``classguard digest``: preview or send the weekly digest for senior leaders, for any week."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_base import ConfigOption, DatabaseOption, app, console, fail
from bot.digest_render import headline, render_text, week_title, write_html
from bot.email import EmailSetupError, email_channel_from_env
from bot.outbox_worker import OutboxWorker
from bot.services import SetupError, open_log, settings_from
from bot.staff_channels import staff_channels
from bot.telegram.env import TOKEN_ENV
from config.schema import Settings
from moderation.digest import IsoWeek, build_digest, due_week, queue_digest
from storage.models import OutboxItem
from storage.outbox import OutboxQueue
from storage.repository import IncidentLog


class _OnlyItem(OutboxQueue):
    """The outbox, as far as one item: a send from the command line leaves the rest alone."""

    def __init__(self, log: IncidentLog, item_id: int) -> None:
        super().__init__(log)
        self.item_id = item_id

    def claim_due(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        return self._claim([self.item_id], now)


def _telegram_slt(settings: Settings) -> bool:
    """Whether senior leaders are also reached on Telegram (when the bot runs)."""
    return bool(
        os.environ.get(TOKEN_ENV)
        and (
            settings.digest.telegram_chat_id
            or settings.telegram.slt_chat_id
            or any(m.telegram_user_id for m in settings.school.slt)
        )
    )


@app.command()
def digest(
    week: Annotated[
        str | None,
        typer.Option(
            help="ISO week, e.g. 2026-W47 (default: the week of the latest scheduled digest)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the digest as an HTML file (default: digest-WEEK.html)."),
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Send it to senior leaders now by email (or, when the Telegram bot is "
            "configured, queue it for the running ClassGuard to send everywhere).",
        ),
    ] = False,
    config: ConfigOption = None,
    database: DatabaseOption = None,
) -> None:
    """Preview the weekly digest as an HTML file, or send it."""
    try:
        settings = settings_from(config)
        log = open_log(database)
        email = email_channel_from_env(settings) if send else None
    except (SetupError, EmailSetupError) as exc:
        raise fail(str(exc)) from None
    now = datetime.now(UTC)
    try:
        chosen = IsoWeek.parse(week) if week else due_week(settings.digest, now)
    except ValueError as exc:
        raise fail(str(exc)) from None
    channels = staff_channels(email=email)
    on_telegram = _telegram_slt(settings)
    if send and "slt" not in channels and not on_telegram:
        raise fail(
            "the digest has nowhere to go: set SMTP_HOST and SMTP_FROM (and SMTP_USER, "
            "SMTP_PASSWORD) and give digest.email_to or SLT emails in the config, or give "
            "digest.telegram_chat_id for Telegram"
        )
    weekly = build_digest(log, settings, chosen, now)
    console.print(f"[bold]{weekly.school}[/]: {week_title(weekly)}")
    for line in headline(weekly):
        console.print(f"  {line}")
    if out is not None or not send:
        path = out or Path(f"digest-{chosen}.html")
        write_html(weekly, path)
        console.print(f"Wrote {path}")
    if send:
        item = queue_digest(log, weekly, render_text(weekly), now, scheduled=False)
        assert item is not None
        if on_telegram:
            # Only the running bot can post to Telegram; its outbox worker sends the
            # digest to every SLT destination, email included.
            console.print(
                f"Queued as outbox item #{item.id}: the running ClassGuard (classguard run) "
                "sends it to senior leaders."
            )
            return
        worker = OutboxWorker(_OnlyItem(log, item.id), channels)
        stats = asyncio.run(worker.run_once())
        if stats.sent:
            console.print(f"Sent to senior leaders (outbox item #{item.id}).")
            return
        failed = next(i for i in log.outbox() if i.id == item.id)
        raise fail(
            f"not sent yet: {failed.last_error}. The outbox will try again; see classguard outbox",
            code=1,
        )
