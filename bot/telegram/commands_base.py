"""What every command handler shares: replying, and knowing admins and moderators."""

from __future__ import annotations

import logging

import telegram
from telegram import ChatMember
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram.context import BotContext
from config.schema import Group

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
ADMIN_STATUSES = (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
#: The deep-link payload a moderator's "open a chat with me" button carries.
MODERATOR_START = "moderator"


def is_private(message: telegram.Message) -> bool:
    """Whether the message is in a one-to-one chat with the bot."""
    return message.chat.type == ChatType.PRIVATE


class CommandBase:
    """A set of command handlers; each method named like its command."""

    def __init__(self, ctx: BotContext, *, bot_username: str) -> None:
        self.ctx = ctx
        self.bot_username = bot_username

    async def reply(
        self,
        message: telegram.Message,
        text: str,
        keyboard: telegram.InlineKeyboardMarkup | None = None,
    ) -> None:
        """Answer in the message's chat; a failed reply is logged, never raised."""
        try:
            await self.ctx.gateway.send_text(message.chat.id, text, keyboard=keyboard)
        except TelegramError as exc:
            log.warning("could not reply to a command: %s", exc.message)

    async def is_admin(self, message: telegram.Message) -> bool:
        """Whether the sender is an admin of the group (anonymous admins included)."""
        if message.sender_chat is not None and message.sender_chat.id == message.chat.id:
            return True
        if message.from_user is None:
            return False
        try:
            member = await self.ctx.gateway.bot.get_chat_member(
                message.chat.id, message.from_user.id
            )
        except TelegramError:
            return False
        return member.status in ADMIN_STATUSES

    def actor(self, user: telegram.User, group: Group | None = None) -> str:
        """How a moderator is named in a case's history: their config name if listed."""
        listed = self.ctx.directory.moderator(group, user.id) if group else None
        return listed.name if listed is not None else user.full_name
