"""Commands for everyone: /start (opening a waiting warning), /help, /policy, /privacy, /appeal."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.telegram import texts
from bot.telegram.commands_base import MODERATOR_START, CommandBase, Context, is_private
from bot.telegram.context import BotContext
from bot.telegram.keyboards import link_button, start_link
from bot.telegram.reports import RateLimit, queue_alert
from moderation.cases import CaseError

log = logging.getLogger(__name__)

APPEAL_LIMIT = 1000
APPEAL_START = "appeal"
APPEAL_HOW = (
    "Tell me why in the same message, for example: /appeal I was quoting the school's own letter."
)
#: Deep-link payloads that are not a waiting warning's token, and the answer to each.
FIXED_STARTS = {
    MODERATOR_START: "Thank you: I can now send you moderator alerts here.",
    APPEAL_START: APPEAL_HOW,
}


class EveryoneCommands(CommandBase):
    """What parents and other members may ask of the bot."""

    def __init__(
        self,
        ctx: BotContext,
        *,
        bot_username: str,
        appeals_per_hour: int = 5,
        notice_minutes: int = 5,
        pending_days: int = 30,
    ) -> None:
        super().__init__(ctx, bot_username=bot_username)
        self.limit = RateLimit(appeals_per_hour, ctx.clock)
        self.notice_minutes = notice_minutes
        self.pending_days = pending_days

    async def start(self, update: Update, context: Context) -> None:
        """``/start [token]``: deliver waiting warnings, or say hello."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        if not is_private(message):
            await self.help(update, context)
            return
        ctx, user = self.ctx, message.from_user
        now = ctx.now()
        ctx.pending.purge_expired(now)
        token = context.args[0] if context.args else None
        mine = ctx.pseudonym(user.id)
        if token and token not in FIXED_STARTS:
            chosen = ctx.pending.get(token, now)
            if chosen is not None and chosen.pseudonym != mine:
                await self.reply(
                    message, "This link was meant for someone else, so I can't open it for you."
                )
                return
        waiting = ctx.pending.waiting_for(mine, now)
        for pending in waiting:
            try:
                await ctx.gateway.send_text(user.id, pending.text)
            except TelegramError as exc:
                log.warning("could not deliver a waiting warning: %s", exc.message)
                return
            ctx.pending.delivered(pending.token)
            if pending.notice_ref and pending.notice_ref != "0":
                with contextlib.suppress(TelegramError):
                    await ctx.gateway.delete(pending.group_id, int(pending.notice_ref))
        if waiting:
            return
        if token in FIXED_STARTS:
            await self.reply(message, FIXED_STARTS[token])
        elif token:
            await self.reply(message, "That message has already been opened, or has expired.")
        else:
            await self.reply(message, texts.welcome(ctx.settings))

    async def help(self, update: Update, context: Context) -> None:
        """``/help``: what the bot can do for the person asking."""
        message = update.effective_message
        if message is None:
            return
        user = message.from_user
        moderator = bool(user and self.ctx.directory.moderated_by(user.id))
        text = texts.help_text(self.ctx.settings, private=is_private(message), moderator=moderator)
        await self.reply(message, text)

    async def policy(self, update: Update, context: Context) -> None:
        """``/policy``: the code of conduct's clauses and the complaint route."""
        if update.effective_message:
            await self.reply(update.effective_message, texts.policy(self.ctx.settings))

    async def privacy(self, update: Update, context: Context) -> None:
        """``/privacy``: what is stored, and for how long."""
        if update.effective_message:
            text = texts.privacy(
                self.ctx.settings,
                notice_minutes=self.notice_minutes,
                pending_days=self.pending_days,
            )
            await self.reply(update.effective_message, text)

    async def appeal(self, update: Update, context: Context) -> None:
        """``/appeal [case] text`` in private: ask the moderators to look again."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        if not is_private(message):
            await self.reply(
                message,
                "Please send /appeal to me in a private chat, so it stays between you "
                "and the moderators.",
                link_button("Open a private chat", start_link(self.bot_username, APPEAL_START)),
            )
            return
        args = list(context.args or [])
        wanted = int(args.pop(0).lstrip("#")) if args and args[0].lstrip("#").isdigit() else None
        reason = " ".join(args).strip()[:APPEAL_LIMIT]
        if not reason:
            await self.reply(message, APPEAL_HOW)
            return
        ctx, user = self.ctx, message.from_user
        try:
            mine = ctx.cases.chronology(ctx.pseudonym(user.id))
        except CaseError:
            mine = []
        case = next((c for c in reversed(mine) if wanted in (None, c.id)), None)
        if case is None:
            await self.reply(message, "I can't find a warning I sent you to appeal against.")
            return
        if not self.limit.allow(("appeal", user.id)):
            await self.reply(
                message, "You have sent several appeals recently; please wait a while."
            )
            return
        ctx.cases.note(case.id, f"{user.full_name} (parent)", reason, kind="appeal")
        group = ctx.directory.group(case.incident.group_id)
        text = (
            f"{group.name if group else case.incident.group_id}: {user.full_name} appeals "
            f'case #{case.id} (clause {case.incident.clause_id}):\n"{reason}"\n'
            "Confirm keeps the warning; False positive accepts the appeal."
        )
        queue_alert(
            ctx.log, case.incident.group_id, case.id, text, case.incident.message_ref, ctx.now()
        )
        await self.reply(
            message,
            f"Thank you. I have passed your appeal on case #{case.id} to the moderators, "
            "who will look at it again.",
        )

    async def private_text(self, update: Update, context: Context) -> None:
        """Anything else said to the bot in private: point to what it can do."""
        message = update.effective_message
        if message is not None:
            await self.reply(
                message,
                "I can't answer messages myself. /appeal asks a moderator to look again at "
                "a warning; /policy shows the code of conduct; /help lists everything.",
            )
