"""Running the real Telegram service (python-telegram-bot and all) against the fake server."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.commands.run import serve
from bot.telegram.env import TelegramEnv
from bot.telegram.service import TelegramService
from classifiers.judgement import Classifier
from config.loader import load_settings
from config.schema import Mode, Settings
from storage.models import OutboxItem
from storage.repository import IncidentLog
from tests.fake_telegram import BOT_USER, TOKEN, Call, FakeTelegram, group, private, user
from tests.support import KeywordClassifier

GROUP_ID = -1001234567890  # Year 3 Parents (Willow Class) in the example config
MODERATORS_CHAT = -1009000000001
SLT_CHAT = -1009000000002
GROUP = group(GROUP_ID, "Year 3 Parents")
TOM = user(111111111, "Tom")  # the group's moderator in the example config
PARENT = user(5001, "Dan", "Smith")
OTHER = user(5002, "Priya", "Shah")


def school(mode: Mode = Mode.WARN, *, moderators_chat: bool = True, **telegram: Any) -> Settings:
    """The example school with its Telegram group in ``mode`` and an SLT chat."""
    settings = load_settings()
    groups = []
    for g in settings.groups:
        if g.platform == "telegram":
            chat = str(MODERATORS_CHAT) if moderators_chat else None
            g = g.model_copy(update={"mode": mode, "moderators_chat_id": chat})
        groups.append(g)
    tg = settings.telegram.model_copy(update={"slt_chat_id": str(SLT_CHAT), **telegram})
    return settings.model_copy(update={"groups": groups, "telegram": tg})


def env_for(fake: FakeTelegram) -> TelegramEnv:
    """The environment a deployment would set, pointing at the fake server."""
    found = TelegramEnv.from_environ(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.root,
            "TELEGRAM_WEBHOOK_SECRET": "s3cret-token",
        }
    )
    assert found is not None
    return found


class Running:
    """``classguard run``'s services and outbox worker, in this event loop."""

    _barriers = itertools.count(1)

    def __init__(
        self,
        fake: FakeTelegram,
        settings: Settings,
        log: IncidentLog,
        *,
        interval: float = 0.05,
        dry_run: bool = False,
        classifier: Classifier | None = None,
    ) -> None:
        self.fake = fake
        self.log = log
        self.service = TelegramService(
            settings,
            log,
            classifier or KeywordClassifier(),
            env_for(fake),
            dry_run=dry_run,
            poll_timeout=1,
        )
        self.interval = interval
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Running:
        self.task = asyncio.create_task(serve([self.service], self.log, self.stop, self.interval))
        await self.fake.wait_for(lambda: self.service.channel is not None, "the bot to start")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, timeout=10)

    async def barrier(self) -> None:
        """Wait until every update queued so far has been handled.

        Updates are handled in order, so the reply to a command queued last
        proves the rest are done; each barrier has its own sender, so that an
        earlier barrier served again after a restart cannot stand in for it.
        """
        helper = user(5_900_000 + next(self._barriers), "Barrier")
        self.fake.message(private(helper), helper, "/policy")
        await self.fake.wait_for(lambda: self.fake.of("sendMessage", helper["id"]), "a barrier")

    async def settle(self) -> None:
        """Wait until the updates are handled and everything due is out of the outbox."""
        await self.barrier()

        def delivered() -> bool:
            now = datetime.now(UTC)
            with self.log.sessions() as session:
                busy = session.scalars(
                    select(OutboxItem).where(
                        OutboxItem.status.in_(("pending", "sending")),
                        OutboxItem.next_attempt_at <= now,
                        OutboxItem.attempts == 0,
                    )
                ).all()
            return not busy

        await self.fake.wait_for(delivered, "the outbox to empty")


def say(fake: FakeTelegram, text: str, sender: dict[str, Any] = PARENT, **extra: Any) -> Any:
    """A parent's message in the Year 3 group."""
    return fake.message(GROUP, sender, text, **extra)


def as_received(call: Call, message_id: int = 777) -> dict[str, Any]:
    """The message a recorded ``sendMessage`` became, as a button press carries it."""
    chat_id = int(call.chat_id)
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": group(chat_id) if chat_id < 0 else private(user(chat_id, "Moderator")),
        "from": BOT_USER,
        "text": call.text,
        "reply_markup": call.params.get("reply_markup"),
    }
