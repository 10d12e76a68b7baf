"""The Telegram bot as one service of ``classguard run``: build, start, run, stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from telegram.error import InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot.outbox_worker import Channel
from bot.services import SetupError
from bot.telegram.bindings import GroupBindings
from bot.telegram.callbacks import ModeratorButtons
from bot.telegram.channel import TelegramChannel
from bot.telegram.commands_admins import AdminCommands
from bot.telegram.commands_everyone import EveryoneCommands
from bot.telegram.commands_moderators import ModeratorCommands
from bot.telegram.commands_reports import ReportCommand
from bot.telegram.context import BotContext
from bot.telegram.env import TelegramEnv
from bot.telegram.gateway import DryRunGateway, Gateway
from bot.telegram.groups import GroupDirectory
from bot.telegram.membership import Membership
from bot.telegram.registry import publish_menus, register
from bot.telegram.updates import AnyApplication, Poller, UpdateHandling
from bot.telegram.watch import GroupWatch
from bot.telegram.webhook import WebhookServer
from classifiers.judgement import Classifier
from config.schema import Settings
from storage.repository import IncidentLog

log = logging.getLogger(__name__)

#: How long a parent's id may wait for an alert that never goes out.
REF_LIFETIME = timedelta(days=14)


def build_application(env: TelegramEnv) -> AnyApplication:
    """A python-telegram-bot application on ``env``'s Bot API server, within flood limits.

    Updates are fetched by :class:`Poller` or :class:`WebhookServer`, not the
    library's updater, so that none is confirmed before it is handled. The
    ``getUpdates`` pool has room for two connections: a long poll cancelled while
    it is still connecting keeps its slot (httpcore 1.0), and the confirmation
    sent on the way out must not wait behind it.
    """
    return (
        ApplicationBuilder()
        .token(env.token)
        .base_url(env.base_url)
        .base_file_url(env.base_file_url)
        .rate_limiter(AIORateLimiter())
        .get_updates_connection_pool_size(2)
        .updater(None)
        .job_queue(None)
        .build()
    )


class TelegramService:
    """The Telegram adapter: handlers, the outbox channel and the update source."""

    name = "telegram"

    def __init__(
        self,
        settings: Settings,
        incident_log: IncidentLog,
        classifier: Classifier,
        env: TelegramEnv,
        *,
        dry_run: bool = False,
        poll_timeout: float = 30.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.env = env
        self.dry_run = dry_run
        self.poll_timeout = poll_timeout
        self.app = build_application(env)
        gateway = (DryRunGateway if dry_run else Gateway)(self.app.bot)
        self.ctx = BotContext(
            log=incident_log,
            classifier=classifier,
            directory=GroupDirectory(settings, GroupBindings(incident_log)),
            gateway=gateway,
            clock=clock or (lambda: datetime.now(UTC)),
        )
        self.handling = UpdateHandling(self.app)
        self.channel: TelegramChannel | None = None

    @property
    def slt_chats(self) -> list[str]:
        """Where SLT escalations go: the SLT chat, else each SLT member with a Telegram id."""
        if self.settings.telegram.slt_chat_id:
            return [self.settings.telegram.slt_chat_id]
        return [str(m.telegram_user_id) for m in self.settings.school.slt if m.telegram_user_id]

    def channels(self) -> dict[str, Channel]:
        """The outbox channels this service delivers (``slt`` only when configured)."""
        if self.channel is None:
            raise RuntimeError("start the Telegram service before asking for its channels")
        found: dict[str, Channel] = {"telegram": self.channel}
        if self.slt_chats:
            found["slt"] = self.channel
        return found

    async def start(self) -> None:
        """Connect to the Bot API and get ready to deliver; raises :class:`SetupError`."""
        logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token
        try:
            await self.app.initialize()
            await self.app.start()
        except InvalidToken:
            raise SetupError(
                "Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather"
            ) from None
        except TelegramError as exc:
            reason = self.env.scrub(exc.message)
            raise SetupError(
                f"cannot use the Telegram Bot API at {self.env.api_root}: {reason}"
            ) from None
        if not self.dry_run:
            try:
                await publish_menus(self.ctx.gateway)
            except TelegramError as exc:  # the menus are a convenience: carry on without
                log.warning("could not publish the command menus: %s", exc.message)
        username = self.app.bot.username
        tg = self.settings.telegram
        now = self.ctx.now()
        self.ctx.pending.purge_expired(now)
        self.ctx.refs.purge(now - REF_LIFETIME)
        self.channel = TelegramChannel(
            self.ctx,
            bot_username=username,
            notice_minutes=tg.notice_minutes,
            pending_days=tg.pending_warning_days,
            slt_chats=self.slt_chats,
            digest_chat=self.settings.digest.telegram_chat_id,
        )
        commands = [
            EveryoneCommands(
                self.ctx,
                bot_username=username,
                appeals_per_hour=tg.reports_per_hour,
                notice_minutes=tg.notice_minutes,
                pending_days=tg.pending_warning_days,
            ),
            ReportCommand(self.ctx, bot_username=username, reports_per_hour=tg.reports_per_hour),
            ModeratorCommands(self.ctx, bot_username=username),
            AdminCommands(self.ctx, bot_username=username),
        ]
        register(
            self.app,
            commands,
            GroupWatch(self.ctx),
            ModeratorButtons(self.ctx),
            Membership(self.ctx),
        )
        log.info(
            "Telegram bot @%s ready (%s)", username, "webhook" if tg.webhook_url else "polling"
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Receive updates until ``stop`` is set, then shut the application down."""
        tg = self.settings.telegram
        try:
            if tg.webhook_url:
                server = WebhookServer(
                    self.handling,
                    url=tg.webhook_url,
                    secret=self.env.webhook_secret,
                    listen=tg.webhook_listen,
                    port=tg.webhook_port,
                )
                await server.run(stop)
            else:
                await Poller(self.handling, self.poll_timeout).run(stop)
        finally:
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()
