"""Groups bound with ``/setup`` and mode overrides set with ``/mode``, kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from config.schema import Mode
from storage.models import GroupBinding
from storage.repository import IncidentLog

PLATFORM = "telegram"


class GroupBindings:
    """Reads and writes the Telegram rows of ``group_bindings``."""

    def __init__(self, log: IncidentLog) -> None:
        self.sessions = log.sessions

    def all(self) -> list[GroupBinding]:
        """Every Telegram binding and override."""
        with self.sessions() as session:
            query = select(GroupBinding).where(GroupBinding.platform == PLATFORM)
            return list(session.scalars(query.order_by(GroupBinding.id)))

    def bind(
        self, chat_id: str, title: str, by: str, address: str, mode: Mode, now: datetime
    ) -> None:
        """Record that an admin switched ClassGuard on for a group the config does not list."""
        with self.sessions.begin() as session:
            row = self._row(session, chat_id, title)
            row.title, row.bound_at, row.bound_by, row.moderator_address = title, now, by, address
            row.mode, row.mode_set_by, row.mode_set_at = mode.value, by, now

    def set_mode(self, chat_id: str, title: str, mode: Mode, by: str, now: datetime) -> None:
        """Record an admin's choice of mode for a group, overriding the config."""
        with self.sessions.begin() as session:
            row = self._row(session, chat_id, title)
            row.mode, row.mode_set_by, row.mode_set_at = mode.value, by, now

    def move(self, old_chat_id: str, new_chat_id: str) -> bool:
        """Follow a group that Telegram turned into a supergroup (its id changes)."""
        with self.sessions.begin() as session:
            row = session.scalar(self._query(old_chat_id))
            if row is None or session.scalar(self._query(new_chat_id)) is not None:
                return False
            row.chat_id = new_chat_id
            return True

    @staticmethod
    def _query(chat_id: str) -> Select[GroupBinding]:
        return select(GroupBinding).where(
            GroupBinding.platform == PLATFORM, GroupBinding.chat_id == chat_id
        )

    def _row(self, session: Session, chat_id: str, title: str) -> GroupBinding:
        row = session.scalar(self._query(chat_id))
        if row is None:
            row = GroupBinding(platform=PLATFORM, chat_id=chat_id, title=title)
            session.add(row)
        return row
