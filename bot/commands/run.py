"""``classguard run``: the platform adapters and the outbox worker, side by side.

Each adapter is a :class:`Service`: started first (so its outbox channels can
deliver), then run concurrently with the others and the outbox worker until
SIGINT or SIGTERM. Adding a platform means adding its service in
:func:`services_for`. The scheduler of the weekly digest and the nightly
retention purge runs alongside, in a background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import Annotated, Protocol

import typer

from bot.cli_base import ConfigOption, DatabaseOption, app, console, fail
from bot.email import EmailChannel, EmailSetupError, email_channel_from_env
from bot.outbox_worker import Channel, OutboxWorker
from bot.scheduler import start_digest_scheduler
from bot.services import SetupError, classifier_for, open_log, settings_from
from bot.staff_channels import staff_channels
from bot.telegram.env import TelegramEnv, TelegramEnvError
from bot.telegram.service import TelegramService
from bot.whatsapp.credentials import twilio_configured
from bot.whatsapp.service import DEFAULT_PORT, WhatsAppService
from classifiers.judgement import Classifier
from config.schema import Settings
from storage.outbox import OutboxQueue
from storage.repository import IncidentLog

log = logging.getLogger(__name__)


class Service(Protocol):
    """A long-running part of ClassGuard, such as a platform adapter."""

    name: str

    async def start(self) -> None:
        """Get ready; raise :class:`SetupError` with one line if it cannot."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then clean up."""

    def channels(self) -> dict[str, Channel]:
        """The outbox channels the service delivers, by routing name."""


def services_for(
    settings: Settings,
    incident_log: IncidentLog,
    classifier: Classifier,
    *,
    dry_run: bool = False,
    telegram: TelegramEnv | None = None,
    poll_timeout: float = 30.0,
    whatsapp_port: int | None = None,
) -> list[Service]:
    """The services the environment configures."""
    services: list[Service] = []
    if telegram is not None:
        services.append(
            TelegramService(
                settings,
                incident_log,
                classifier,
                telegram,
                dry_run=dry_run,
                poll_timeout=poll_timeout,
            )
        )
    if whatsapp_port is not None:
        services.append(
            WhatsAppService(settings, incident_log, classifier, port=whatsapp_port, dry_run=dry_run)
        )
    return services


async def serve(
    services: Sequence[Service],
    incident_log: IncidentLog,
    stop: asyncio.Event,
    interval: float = 2.0,
    email: EmailChannel | None = None,
) -> None:
    """Start every service, then run them and the outbox worker until ``stop`` is set.

    Senior leaders and the office are reached by ``email`` and/or a service's
    ``slt`` channel. If one service fails, the others are stopped and the failure
    is raised.
    """
    channels: dict[str, Channel] = {}
    for service in services:
        await service.start()
        channels.update(service.channels())
    channels.update(staff_channels(email=email, telegram_slt=channels.get("slt")))
    worker = OutboxWorker(OutboxQueue(incident_log), channels)
    tasks = [asyncio.create_task(s.run(stop), name=s.name) for s in services]
    tasks.append(asyncio.create_task(worker.run_forever(stop, interval), name="outbox"))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = next((t for t in done if t.exception() is not None), None)
        if failed is not None:
            log.error("%s stopped: %s", failed.get_name(), failed.exception())
    finally:
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]


async def _until_signalled(
    services: Sequence[Service],
    incident_log: IncidentLog,
    interval: float,
    email: EmailChannel | None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await serve(services, incident_log, stop, interval, email)


@app.command()
def run(
    config: ConfigOption = None,
    database: DatabaseOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Judge and record everything, but send nothing: log what would go."
        ),
    ] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between outbox deliveries.", min=0.1)
    ] = 2.0,
    port: Annotated[
        int,
        typer.Option(envvar="PORT", help="Port for Twilio's WhatsApp webhooks.", min=1, max=65535),
    ] = DEFAULT_PORT,
) -> None:
    """Run ClassGuard: the Telegram bot (when TELEGRAM_BOT_TOKEN is set), the WhatsApp webhooks
    (when TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set) and the outbox worker."""
    try:
        settings = settings_from(config)
        telegram = TelegramEnv.from_environ()
        whatsapp = twilio_configured()
        if telegram is None and not whatsapp:
            raise SetupError(
                "nothing to run: set TELEGRAM_BOT_TOKEN for Telegram, or TWILIO_ACCOUNT_SID "
                "and TWILIO_AUTH_TOKEN for WhatsApp"
            )
        incident_log = open_log(database)
        services = services_for(
            settings,
            incident_log,
            classifier_for(settings),
            dry_run=dry_run,
            telegram=telegram,
            whatsapp_port=port if whatsapp else None,
        )
        email = email_channel_from_env(settings, dry_run=dry_run)
    except (SetupError, TelegramEnvError, EmailSetupError) as exc:
        raise fail(str(exc)) from None
    names = ", ".join(s.name for s in services)
    console.print(f"ClassGuard running: {names}{' (dry run)' if dry_run else ''}. Ctrl-C stops.")
    scheduler = start_digest_scheduler(settings, incident_log.engine)
    try:
        asyncio.run(_until_signalled(services, incident_log, interval, email))
    except SetupError as exc:
        raise fail(str(exc)) from None
    finally:
        scheduler.shutdown(wait=False)
    console.print("ClassGuard stopped.")
