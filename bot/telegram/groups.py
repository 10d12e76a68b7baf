"""The Telegram groups ClassGuard looks after: the config's, plus those bound in the chat.

The config is the source of truth for groups and moderators. An admin's
``/setup`` adds a group the config does not list, with that admin as its
moderator, and ``/mode`` overrides a group's mode; both are kept in the
database and merged here into the settings the pipeline sees.
"""

from __future__ import annotations

from bot.telegram.bindings import PLATFORM, GroupBindings
from config.schema import Group, Mode, Moderator, Settings


class GroupDirectory:
    """Effective settings and who moderates what, for the Telegram groups."""

    def __init__(self, settings: Settings, bindings: GroupBindings) -> None:
        self.base = settings
        self.bindings = bindings
        self.settings = settings
        self.reload()

    def reload(self) -> Settings:
        """Merge the stored bindings and overrides into the config's groups."""
        rows = {row.chat_id: row for row in self.bindings.all()}
        groups: list[Group] = []
        for group in self.base.groups:
            row = rows.pop(group.chat_id, None) if group.platform == PLATFORM else None
            if row is not None and row.mode:
                group = group.model_copy(update={"mode": Mode(row.mode)})
            groups.append(group)
        for row in rows.values():
            if row.bound_at is None:
                continue
            moderators = []
            if row.moderator_address:
                moderators.append(
                    Moderator(
                        name=row.bound_by or "group admin",
                        telegram_user_id=int(row.moderator_address),
                    )
                )
            groups.append(
                Group(
                    platform=PLATFORM,
                    chat_id=row.chat_id,
                    name=row.title,
                    mode=Mode(row.mode or Mode.WARN.value),
                    moderators=moderators,
                )
            )
        self.settings = self.base.model_copy(update={"groups": groups})
        return self.settings

    def group(self, chat_id: str) -> Group | None:
        """The group ClassGuard looks after in this chat, if it does."""
        return self.settings.group(PLATFORM, chat_id)

    def configured(self, chat_id: str) -> bool:
        """Whether the school's config lists this chat."""
        return self.base.group(PLATFORM, chat_id) is not None

    def telegram_groups(self) -> list[Group]:
        """Every Telegram group ClassGuard looks after."""
        return [g for g in self.settings.groups if g.platform == PLATFORM]

    def moderator(self, group: Group, user_id: int) -> Moderator | None:
        """The group's moderator with this Telegram id, if there is one."""
        return next((m for m in group.moderators if m.telegram_user_id == user_id), None)

    def moderated_by(self, user_id: int, chat_id: str | None = None) -> list[Group]:
        """The groups ``user_id`` moderates; in a moderators' chat, only the groups it serves."""
        return [
            g
            for g in self.telegram_groups()
            if self.moderator(g, user_id) is not None
            and (chat_id is None or g.moderators_chat_id == chat_id)
        ]

    def staff_chat(self, chat_id: str) -> bool:
        """Whether a chat is where moderators or senior leaders read alerts (not a class group)."""
        staff = {g.moderators_chat_id for g in self.settings.groups}
        staff |= {self.settings.telegram.slt_chat_id, self.settings.digest.telegram_chat_id}
        return chat_id in staff

    def alert_chats(self, group: Group) -> list[str]:
        """Where a group's moderator alerts go: its moderators' chat, else each moderator."""
        if group.moderators_chat_id:
            return [group.moderators_chat_id]
        return [str(m.telegram_user_id) for m in group.moderators if m.telegram_user_id]
