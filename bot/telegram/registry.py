"""Which handler answers which update, declared once.

:data:`COMMANDS` lists every command with its description and the menus it
appears in; :func:`register` turns the table into python-telegram-bot handlers
and :func:`publish_menus` into the command menus Telegram shows.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from enum import Flag, auto
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram.callbacks import ModeratorButtons
from bot.telegram.commands_admins import AdminCommands
from bot.telegram.commands_base import CommandBase
from bot.telegram.commands_everyone import EveryoneCommands
from bot.telegram.commands_moderators import ModeratorCommands
from bot.telegram.commands_reports import ReportCommand
from bot.telegram.gateway import Gateway
from bot.telegram.membership import Membership
from bot.telegram.watch import GroupWatch

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]

#: Handler groups: commands answer first; every group message is then judged too.
COMMAND_GROUP = 0
WATCH_GROUP = 1


class Menu(Flag):
    """The command menus a command is listed in."""

    PRIVATE = auto()
    GROUP = auto()
    ADMIN = auto()


@dataclass(frozen=True)
class CommandSpec:
    """One command: its name (also its handler's method), its handler and where it is offered."""

    name: str
    owner: type[CommandBase]
    description: str
    menus: Menu


EVERYWHERE = Menu.PRIVATE | Menu.GROUP | Menu.ADMIN
IN_GROUPS = Menu.GROUP | Menu.ADMIN
ANYONE, REPORTS, MODERATORS, ADMINS = (
    EveryoneCommands,
    ReportCommand,
    ModeratorCommands,
    AdminCommands,
)

COMMANDS = (
    CommandSpec("start", ANYONE, "Open a message ClassGuard is keeping for you", Menu.PRIVATE),
    CommandSpec("help", ANYONE, "What ClassGuard can do", EVERYWHERE),
    CommandSpec("policy", ANYONE, "The code of conduct and how to raise a concern", EVERYWHERE),
    CommandSpec("privacy", ANYONE, "What ClassGuard keeps, and for how long", EVERYWHERE),
    CommandSpec("report", REPORTS, "Reply to a message to tell the moderators about it", IN_GROUPS),
    CommandSpec("appeal", ANYONE, "Ask a moderator to look again at a warning", Menu.PRIVATE),
    CommandSpec("cases", MODERATORS, "Moderators: open cases in your groups", Menu.PRIVATE),
    CommandSpec("case", MODERATORS, "Moderators: one case in full, e.g. /case 12", Menu.PRIVATE),
    CommandSpec("pardon", MODERATORS, "Moderators: take back a case's strike", Menu.PRIVATE),
    CommandSpec("mode", ADMINS, "Admins: observe, warn or enforce", Menu.ADMIN),
    CommandSpec("setup", ADMINS, "Admins: switch ClassGuard on in this group", Menu.ADMIN),
)

MENU_SCOPES: tuple[tuple[Menu, BotCommandScope], ...] = (
    (Menu.PRIVATE, BotCommandScopeAllPrivateChats()),
    (Menu.GROUP, BotCommandScopeAllGroupChats()),
    (Menu.ADMIN, BotCommandScopeAllChatAdministrators()),
)

#: Group messages worth judging: everything people post, plus the notice that a
#: group became a supergroup (so ClassGuard can follow it).
GROUP_POSTS = filters.ChatType.GROUPS & (~filters.StatusUpdate.ALL | filters.StatusUpdate.MIGRATE)


def register(
    app: Application[Any, Any, Any, Any, Any, Any],
    commands: Sequence[CommandBase],
    watch: GroupWatch,
    buttons: ModeratorButtons,
    membership: Membership,
) -> None:
    """Add every handler to the application."""
    only_new = filters.UpdateType.MESSAGE
    handlers = {type(c): c for c in commands}
    for spec in COMMANDS:
        callback: Callback = getattr(handlers[spec.owner], spec.name)
        app.add_handler(CommandHandler(spec.name, callback, filters=only_new), COMMAND_GROUP)
    anyone = next(c for c in commands if isinstance(c, EveryoneCommands))
    private_chat = filters.ChatType.PRIVATE & only_new & ~filters.COMMAND
    app.add_handler(MessageHandler(private_chat, anyone.private_text), COMMAND_GROUP)
    app.add_handler(CallbackQueryHandler(buttons.on_press), COMMAND_GROUP)
    app.add_handler(
        ChatMemberHandler(membership.on_change, ChatMemberHandler.MY_CHAT_MEMBER), COMMAND_GROUP
    )
    app.add_handler(MessageHandler(GROUP_POSTS, watch.on_message), WATCH_GROUP)


async def publish_menus(gateway: Gateway) -> None:
    """Show each kind of chat the commands meant for it."""
    for menu, scope in MENU_SCOPES:
        listed = [BotCommand(c.name, c.description) for c in COMMANDS if menu in c.menus]
        await gateway.set_commands(listed, scope)
