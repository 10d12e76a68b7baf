"""The moderators' case buttons: Confirm, False positive, Remove from group.

Only the moderators of the case's group may press them; anyone else gets an
alert saying so. "Remove from group" removes without a permanent ban (ban, then
unban): the code of conduct's removal is a moderator's decision the school may
revisit, and the parent can be re-invited. The case records it as actioned.
"""

from __future__ import annotations

import logging

import telegram
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram.context import BotContext
from bot.telegram.keyboards import ButtonPress, CaseAction, decode
from config.schema import Group
from moderation.cases import Case, CaseError, CaseState

log = logging.getLogger(__name__)

REMOVABLE = (CaseState.OPEN, CaseState.CONFIRMED)


class ModeratorButtons:
    """Handles presses of the case buttons on moderator alerts."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Check who pressed, act on the case, and answer the press."""
        query = update.callback_query
        if query is None:
            return
        gateway = self.ctx.gateway
        press = decode(query.data)
        if press is None:
            await gateway.answer_button(query.id, "This button is no longer in use.", alert=True)
            return
        try:
            case = self.ctx.cases.get(press.case)
        except CaseError as exc:
            await gateway.answer_button(query.id, str(exc), alert=True)
            return
        group = self.ctx.directory.group(case.incident.group_id)
        moderator = self.ctx.directory.moderator(group, query.from_user.id) if group else None
        if group is None or moderator is None:
            name = group.name if group else "this group"
            await gateway.answer_button(
                query.id, f"Only the moderators of {name} can use these buttons.", alert=True
            )
            return
        try:
            done = await self._act(press, case, group, moderator.name)
        except CaseError as exc:
            await gateway.answer_button(query.id, str(exc), alert=True)
            return
        except TelegramError as exc:
            await gateway.answer_button(
                query.id,
                f"I could not remove them: {exc.message}. I need to be a group admin with "
                'the "Ban users" right.',
                alert=True,
            )
            return
        await gateway.answer_button(query.id, done)
        await self._mark(query.message, f"{done} ({moderator.name})")

    async def _act(self, press: ButtonPress, case: Case, group: Group, actor: str) -> str:
        cases = self.ctx.cases
        if press.action is CaseAction.CONFIRM:
            cases.move(case.id, CaseState.CONFIRMED, actor)
            return f"Case #{case.id} confirmed"
        if press.action is CaseAction.FALSE_POSITIVE:
            cases.move(case.id, CaseState.FALSE_POSITIVE, actor, "marked from the alert")
            return f"Case #{case.id} is a false positive: the strike is withdrawn"
        if case.state not in REMOVABLE:
            raise CaseError(f"case #{case.id} is {case.state.value}: nobody is removed")
        if press.user_id is None:
            raise CaseError("this alert does not say who to remove")
        await self.ctx.gateway.remove_member(group.chat_id, press.user_id)
        if case.state is CaseState.OPEN:
            cases.move(case.id, CaseState.CONFIRMED, actor)
        cases.move(
            case.id,
            CaseState.ACTIONED,
            actor,
            "removed from the group (not banned: they may be invited back)",
        )
        return f"Removed from {group.name}; case #{case.id} actioned"

    async def _mark(self, message: telegram.MaybeInaccessibleMessage | None, line: str) -> None:
        """Add the outcome under the alert, keeping its buttons."""
        if not isinstance(message, telegram.Message) or not message.text:
            return
        try:
            await self.ctx.gateway.edit_text(
                message.chat.id,
                message.message_id,
                f"{message.text}\n\n✓ {line}",
                message.reply_markup,
            )
        except TelegramError as exc:
            log.info("could not mark an alert as handled: %s", exc.message)
