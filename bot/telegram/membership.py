"""The bot's own membership: introduce itself on joining, and say what rights it needs."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberAdministrator, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram import texts
from bot.telegram.context import BotContext

log = logging.getLogger(__name__)

OUTSIDE = (ChatMember.LEFT, ChatMember.BANNED)
INSIDE = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED)


def missing_rights(member: ChatMember) -> list[str]:
    """The admin rights ClassGuard needs and lacks, by their names in Telegram's settings."""
    if not isinstance(member, ChatMemberAdministrator):
        return []
    missing = []
    if not member.can_delete_messages:
        missing.append("Delete messages")
    if not member.can_restrict_members:
        missing.append("Ban users")
    return missing


class Membership:
    """Handles ``my_chat_member`` updates."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    def needs(self, member: ChatMember, sees_everything: bool) -> str | None:
        """What to ask the group's admins for, given the bot's status there."""
        if isinstance(member, ChatMemberAdministrator):
            missing = missing_rights(member)
            return texts.rights_missing(missing) if missing else None
        return texts.CANNOT_REMOVE if sees_everything else texts.ADMIN_NEEDS

    async def on_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Introduce the bot when added; thank the admins when promoted."""
        change = update.my_chat_member
        if change is None or change.chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
            return
        old, new = change.old_chat_member, change.new_chat_member
        chat_id = str(change.chat.id)
        sees_everything = bool(context.bot.can_read_all_group_messages)
        if old.status in OUTSIDE and new.status in INSIDE:
            text = texts.introduction(
                self.ctx.settings,
                group=self.ctx.directory.group(chat_id),
                needs=self.needs(new, sees_everything),
            )
        elif old.status != ChatMember.ADMINISTRATOR and new.status == ChatMember.ADMINISTRATOR:
            missing = missing_rights(new)
            text = texts.PROMOTED + ("\n" + texts.rights_missing(missing) if missing else "")
        elif old.status == ChatMember.ADMINISTRATOR and new.status == ChatMember.MEMBER:
            text = texts.ADMIN_NEEDS
        else:
            return
        try:
            await self.ctx.gateway.send_text(chat_id, text)
        except TelegramError as exc:
            log.warning("could not post in a group I joined: %s", exc.message)
