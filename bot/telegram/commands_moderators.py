"""Moderators' commands: /cases, /case N and /pardon N, in private or their own chat only."""

from __future__ import annotations

from collections.abc import Sequence

import telegram
from telegram import Update

from bot.telegram.cases_view import case_detail, case_list
from bot.telegram.commands_base import CommandBase, Context, is_private
from config.schema import Group
from moderation.cases import Case, CaseError


class ModeratorCommands(CommandBase):
    """Reading and pardoning the cases of the groups the sender moderates."""

    async def moderated(self, message: telegram.Message) -> list[Group] | None:
        """The groups whose cases the sender may see here, or ``None`` after explaining why not."""
        user = message.from_user
        if user is None:
            return None
        directory = self.ctx.directory
        if is_private(message):
            groups = directory.moderated_by(user.id)
            if not groups:
                await self.reply(
                    message, "Only the moderators of a group I look after can do that."
                )
                return None
            return groups
        groups = directory.moderated_by(user.id, str(message.chat.id))
        if not groups:
            await self.reply(
                message,
                "Cases are private: moderators, please ask me in a private chat "
                "or in your moderators' chat.",
            )
            return None
        return groups

    async def case_for(
        self, message: telegram.Message, args: Sequence[str]
    ) -> tuple[Case, Group] | None:
        """The case a ``/case N``-style command names, if the sender moderates its group."""
        groups = await self.moderated(message)
        if groups is None:
            return None
        if not args or not args[0].lstrip("#").isdigit():
            await self.reply(message, "Which case? For example: /case 12")
            return None
        try:
            case = self.ctx.cases.get(int(args[0].lstrip("#")))
        except CaseError as exc:
            await self.reply(message, str(exc))
            return None
        group = next((g for g in groups if g.chat_id == case.incident.group_id), None)
        if group is None:
            await self.reply(message, f"Case #{case.id} is not from a group you moderate.")
            return None
        return case, group

    async def cases(self, update: Update, context: Context) -> None:
        """``/cases [all]``: the cases of the groups the sender moderates."""
        message = update.effective_message
        if message is None:
            return
        groups = await self.moderated(message)
        if groups is None:
            return
        args = context.args or []
        everything = bool(args) and args[0].lower() == "all"
        ids = {g.chat_id for g in groups}
        found = [
            c for c in self.ctx.cases.cases(open_only=not everything) if c.incident.group_id in ids
        ]
        await self.reply(message, case_list(found, groups, everything=everything))

    async def case(self, update: Update, context: Context) -> None:
        """``/case N``: one case in full."""
        message = update.effective_message
        if message is None:
            return
        found = await self.case_for(message, context.args or [])
        if found is not None:
            await self.reply(message, case_detail(*found))

    async def pardon(self, update: Update, context: Context) -> None:
        """``/pardon N [reason]``: take a case's strike back."""
        message = update.effective_message
        if message is None or message.from_user is None:
            return
        found = await self.case_for(message, context.args or [])
        if found is None:
            return
        case, group = found
        note = " ".join((context.args or [])[1:]).strip() or None
        try:
            self.ctx.cases.pardon(case.id, self.actor(message.from_user, group), note)
        except CaseError as exc:
            await self.reply(message, str(exc))
            return
        await self.reply(message, f"Case #{case.id} pardoned: its strike no longer counts.")
