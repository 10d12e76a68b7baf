"""``/report``: a member tells the moderators about a message, discreetly and within a limit."""

from __future__ import annotations

import contextlib
import logging

import telegram
from telegram import Update
from telegram.error import TelegramError

from bot.telegram.commands_base import CommandBase, Context, is_private
from bot.telegram.context import BotContext
from bot.telegram.convert import from_parent
from bot.telegram.gateway import cannot_reach
from bot.telegram.reports import RateLimit, incident_for, queue_alert
from config.schema import Group

log = logging.getLogger(__name__)


class ReportCommand(CommandBase):
    """Reports go to the moderators as an alert (and a note on the case, if there is one)."""

    def __init__(self, ctx: BotContext, *, bot_username: str, reports_per_hour: int = 5) -> None:
        super().__init__(ctx, bot_username=bot_username)
        self.limit = RateLimit(reports_per_hour, ctx.clock)

    async def report(self, update: Update, context: Context) -> None:
        """``/report`` in reply to a message: tell the moderators about it."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        target = message.reply_to_message
        if is_private(message) or target is None:
            await self.reply(
                message, "To report a message, reply to it in the group and send /report."
            )
            return
        ctx, reporter = self.ctx, message.from_user
        chat_id = str(message.chat.id)
        group = ctx.directory.group(chat_id)
        if group is None:
            await self.reply(
                message,
                "This group is not set up with ClassGuard yet, so there are no moderators "
                "to tell. A group admin can send /setup.",
            )
            return
        if not self.limit.allow(("report", chat_id, reporter.id)):
            await self.reply(
                message,
                "You have reported several messages recently. Please wait a while, or "
                "contact the moderators directly.",
            )
            return
        await self._alert_report(message, target, group)
        with contextlib.suppress(TelegramError):
            await ctx.gateway.delete(message.chat.id, message.message_id)
        thanks = f"Thank you: the moderators of {group.name} have been told about that message."
        try:
            await ctx.gateway.send_text(reporter.id, thanks)
        except TelegramError as exc:
            if not cannot_reach(exc):
                log.warning("could not thank a reporter: %s", exc.message)
            await self.reply(message, "Thank you: the moderators have been told.")

    async def _alert_report(
        self, message: telegram.Message, target: telegram.Message, group: Group
    ) -> None:
        ctx = self.ctx
        assert message.from_user is not None
        reporter = message.from_user.full_name
        author = target.from_user.full_name if target.from_user else "someone"
        incident = incident_for(ctx.log, group.chat_id, str(target.message_id))
        if incident is not None:
            ctx.cases.note(incident.id, reporter, "reported by a member", kind="report")
            text = (
                f"{group.name}: {reporter} reported a message from {author} "
                f"(case #{incident.id}, already flagged under clause {incident.clause_id})."
            )
            if target.from_user is not None and from_parent(target):
                ctx.refs.keep(incident.id, str(target.from_user.id), ctx.now())
        else:
            content = target.text or target.caption or "(no text)"
            text = (
                f"{group.name}: {reporter} reported a message from {author}. "
                f'ClassGuard had not flagged it.\nMessage: "{content[:400]}"'
            )
        queue_alert(
            ctx.log,
            group.chat_id,
            incident.id if incident else None,
            text,
            str(target.message_id),
            ctx.now(),
        )
