"""Group messages (new and edited, text or captions) through the moderation pipeline.

The pipeline records the incident and queues its actions in the outbox in one
transaction; the outbox worker delivers them. Here we only judge, and keep the
parent's id when the moderators will need a Remove button.
"""

from __future__ import annotations

import asyncio
import logging

import telegram
from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.context import BotContext
from bot.telegram.convert import from_parent, to_message
from moderation.actions import AlertModerators, RecommendRemoval

log = logging.getLogger(__name__)

#: Photos larger than this are judged by caption alone.
IMAGE_LIMIT = 5 * 1024 * 1024


class GroupWatch:
    """The handler every group message goes through."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Judge one group message, unless its sender is not a parent."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            self._migrated(message)
            return
        if not from_parent(message) or self.ctx.directory.staff_chat(str(message.chat.id)):
            return
        assert message.from_user is not None
        image = await self._image(message)
        ctx = self.ctx
        async with ctx.judging:
            decision = await asyncio.to_thread(ctx.pipeline().process, to_message(message, image))
            alerting = any(
                isinstance(a, AlertModerators | RecommendRemoval) for a in decision.actions
            )
            if decision.incident_id is not None and alerting and not decision.duplicate:
                await asyncio.to_thread(
                    ctx.refs.keep, decision.incident_id, str(message.from_user.id), ctx.now()
                )
        log.debug("message %s in %s: %s", message.message_id, message.chat.id, decision.step)

    async def _image(self, message: telegram.Message) -> bytes | None:
        """The photo's bytes (the largest size within the limit), for pupil-image checks."""
        sizes = [p for p in message.photo if (p.file_size or 0) <= IMAGE_LIMIT]
        if not sizes:
            return None
        try:
            file = await sizes[-1].get_file()
            return bytes(await file.download_as_bytearray())
        except telegram.error.TelegramError as exc:
            log.warning("could not download a photo to check it: %s", exc.message)
            return None

    def _migrated(self, message: telegram.Message) -> None:
        """A group became a supergroup: follow it, or say what to change in the config."""
        old, new = str(message.chat.id), str(message.migrate_to_chat_id)
        directory = self.ctx.directory
        if directory.configured(old):
            log.warning("group %s is now supergroup %s: change its chat_id in the config", old, new)
        elif directory.bindings.move(old, new):
            directory.reload()
