"""Group admins' commands: /setup binds an unlisted group, /mode changes what ClassGuard does."""

from __future__ import annotations

from telegram import Update

from bot.telegram import texts
from bot.telegram.commands_base import MODERATOR_START, CommandBase, Context, is_private
from bot.telegram.keyboards import link_button, start_link
from config.schema import Mode


class AdminCommands(CommandBase):
    """Commands only a group's admins may use."""

    async def mode(self, update: Update, context: Context) -> None:
        """``/mode [observe|warn|enforce]``: show or change what ClassGuard does here."""
        message = update.effective_message
        if message is None:
            return
        if is_private(message):
            await self.reply(message, "Send /mode in the group you want to change.")
            return
        group = self.ctx.directory.group(str(message.chat.id))
        if group is None:
            await self.reply(
                message, "This group is not set up yet: a group admin can send /setup."
            )
            return
        if not context.args:
            await self.reply(message, texts.mode_now(group))
            return
        if not await self.is_admin(message):
            await self.reply(message, "Only the group's admins can change my mode.")
            return
        try:
            mode = Mode(context.args[0].lower())
        except ValueError:
            await self.reply(message, "Choose one of: /mode observe, /mode warn, /mode enforce.")
            return
        by = message.from_user.full_name if message.from_user else "an anonymous admin"
        ctx = self.ctx
        ctx.directory.bindings.set_mode(group.chat_id, group.name, mode, by, ctx.now())
        ctx.directory.reload()
        changed = ctx.directory.group(group.chat_id)
        assert changed is not None
        await self.reply(message, texts.mode_changed(changed, mode))

    async def setup(self, update: Update, context: Context) -> None:
        """``/setup [mode]``: switch ClassGuard on in a group the config does not list."""
        message = update.effective_message
        if message is None:
            return
        if is_private(message):
            await self.reply(message, "Send /setup in the group you want me to look after.")
            return
        chat_id = str(message.chat.id)
        configured = self.ctx.directory.base.group("telegram", chat_id)
        if configured is not None:
            await self.reply(
                message,
                f"This group is already set up by the school as {configured.name}. "
                + texts.mode_now(self.ctx.directory.group(chat_id) or configured),
            )
            return
        if not await self.is_admin(message):
            await self.reply(message, "Only the group's admins can set me up.")
            return
        admin = message.from_user
        if admin is None or message.sender_chat is not None:
            await self.reply(
                message,
                "Please send /setup from your own account rather than anonymously, "
                "so that I know where to send moderator alerts.",
            )
            return
        try:
            mode = Mode(context.args[0].lower()) if context.args else Mode.WARN
        except ValueError:
            await self.reply(message, "Choose one of: /setup observe, /setup warn, /setup enforce.")
            return
        ctx = self.ctx
        title = message.chat.title or chat_id
        ctx.directory.bindings.bind(chat_id, title, admin.full_name, str(admin.id), mode, ctx.now())
        ctx.directory.reload()
        await self.reply(
            message,
            f"Done: I now look after {title} in {mode.value} mode ({texts.MODE_MEANINGS[mode]}). "
            f"{admin.full_name} is its moderator and will receive my alerts privately: please "
            "open a private chat with me and press Start so that I can reach you.",
            link_button("Open a private chat", start_link(self.bot_username, MODERATOR_START)),
        )
