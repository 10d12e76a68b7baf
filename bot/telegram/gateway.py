"""Every call that changes something on Telegram goes through a gateway.

One place to honour Telegram's limits (message length), and one place to swap
for :class:`DryRunGateway`, which logs what would be sent and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from telegram import Bot, BotCommand, BotCommandScope, InlineKeyboardMarkup, InputFile
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.outbox_worker import DeliveryError

log = logging.getLogger(__name__)

ChatId = int | str


def retry_delay(exc: RetryAfter) -> timedelta:
    """Telegram's requested wait, whichever form the library reports it in."""
    wait = exc.retry_after
    return wait if isinstance(wait, timedelta) else timedelta(seconds=wait)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """The outbox's error for a failed call, carrying Telegram's ``retry_after``."""
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"Telegram flood control: {exc.message}", retry_delay(exc))
    return DeliveryError(f"Telegram: {exc.message}")


def cannot_reach(exc: TelegramError) -> bool:
    """Whether a private send failed because the person never started the bot (or blocked it)."""
    if isinstance(exc, Forbidden):
        return True
    return isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at line ends where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text or not pieces else pieces


class Gateway:
    """Sends, deletes and removes on Telegram; raises the library's ``TelegramError``."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(
        self,
        chat_id: ChatId,
        text: str,
        *,
        keyboard: InlineKeyboardMarkup | None = None,
        html: bool = False,
    ) -> int:
        """Send a message (split if too long; the keyboard goes on the last part)."""
        parts = [text] if html else split_text(text)
        sent = 0
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message = await self.bot.send_message(
                chat_id,
                part,
                reply_markup=keyboard if last else None,
                parse_mode=ParseMode.HTML if html else None,
            )
            sent = message.message_id
        return sent

    async def send_document(
        self, chat_id: ChatId, filename: str, content: bytes, caption: str
    ) -> int:
        """Send a small text file, such as a draft letter."""
        message = await self.bot.send_document(
            chat_id, InputFile(content, filename=filename), caption=caption[:1024]
        )
        return message.message_id

    async def delete(self, chat_id: ChatId, message_id: int) -> None:
        """Delete a message (bots may delete for 48 hours, as an admin with the right)."""
        await self.bot.delete_message(chat_id, message_id)

    async def remove_member(self, chat_id: ChatId, user_id: int) -> None:
        """Remove someone without banning them: they may rejoin through an invite link."""
        await self.bot.ban_chat_member(chat_id, user_id)
        await self.bot.unban_chat_member(chat_id, user_id, only_if_banned=True)

    async def answer_button(self, query_id: str, text: str, *, alert: bool = False) -> None:
        """Answer a button press, as a toast or (``alert``) a dialog."""
        await self.bot.answer_callback_query(query_id, text[:200], show_alert=alert)

    async def edit_text(
        self,
        chat_id: ChatId,
        message_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Replace a message's text, keeping (or replacing) its buttons."""
        await self.bot.edit_message_text(
            text[: MessageLimit.MAX_TEXT_LENGTH],
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=keyboard,
        )

    async def set_commands(
        self, commands: Sequence[BotCommand], scope: BotCommandScope | None = None
    ) -> None:
        """Publish the command menu people see for a scope."""
        await self.bot.set_my_commands(list(commands), scope=scope)


class DryRunGateway(Gateway):
    """Logs what would be sent (ids and sizes at INFO, text at DEBUG) and sends nothing."""

    async def send_text(
        self,
        chat_id: ChatId,
        text: str,
        *,
        keyboard: InlineKeyboardMarkup | None = None,
        html: bool = False,
    ) -> int:
        buttons = sum(len(row) for row in keyboard.inline_keyboard) if keyboard else 0
        log.info("dry run: would send %d characters and %d button(s)", len(text), buttons)
        log.debug("dry run: to %s: %s", chat_id, text)
        return 0

    async def send_document(
        self, chat_id: ChatId, filename: str, content: bytes, caption: str
    ) -> int:
        log.info("dry run: would send the file %s (%d bytes)", filename, len(content))
        return 0

    async def delete(self, chat_id: ChatId, message_id: int) -> None:
        log.info("dry run: would delete a message")
        log.debug("dry run: delete %s in %s", message_id, chat_id)

    async def remove_member(self, chat_id: ChatId, user_id: int) -> None:
        log.info("dry run: would remove a member from a group")

    async def answer_button(self, query_id: str, text: str, *, alert: bool = False) -> None:
        log.info("dry run: would answer a button press")

    async def edit_text(
        self,
        chat_id: ChatId,
        message_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> None:
        log.info("dry run: would edit a message")

    async def set_commands(
        self, commands: Sequence[BotCommand], scope: BotCommandScope | None = None
    ) -> None:
        log.info("dry run: would publish %d commands", len(commands))
