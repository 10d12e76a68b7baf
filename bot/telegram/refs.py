"""Parents' Telegram ids, kept only until a moderators' alert carries them.

The incident log knows parents by pseudonym, but removing someone needs their
real id. When a breach calls for the moderators, the adapter keeps the id here
under the case number; the alert's "Remove from group" button then carries it
(it goes to moderators only) and the row is deleted once no alert needs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select

from storage.models import MemberRef, OutboxItem
from storage.repository import IncidentLog

#: Outbox kinds whose message offers the Remove button.
NEEDS_ADDRESS = ("alert_moderators", "recommend_removal")


class MemberRefs:
    """Reads and writes ``member_refs``."""

    def __init__(self, log: IncidentLog) -> None:
        self.sessions = log.sessions

    def keep(self, incident_id: int, address: str, now: datetime) -> None:
        """Keep a parent's id for a case's alerts (once; a later call changes nothing)."""
        with self.sessions.begin() as session:
            if session.get(MemberRef, incident_id) is None:
                session.add(MemberRef(incident_id=incident_id, address=address, created_at=now))

    def address(self, incident_id: int) -> str | None:
        """The parent's id for a case, while an alert still needs it."""
        with self.sessions() as session:
            ref = session.get(MemberRef, incident_id)
            return ref.address if ref is not None else None

    def release(
        self, incident_id: int, group_id: str, message_ref: str, sending: Iterable[int]
    ) -> None:
        """Forget a case's id unless another alert about it still waits (``sending``: going now)."""
        going = set(sending)
        with self.sessions.begin() as session:
            waiting = session.scalars(
                select(OutboxItem).where(
                    OutboxItem.group_id == group_id,
                    OutboxItem.kind.in_(NEEDS_ADDRESS),
                    OutboxItem.status.in_(("pending", "sending")),
                )
            )
            if any(
                item.id not in going
                and (
                    item.incident_id == incident_id
                    or item.payload.get("message_ref") == message_ref
                )
                for item in waiting
            ):
                return
            session.execute(delete(MemberRef).where(MemberRef.incident_id == incident_id))

    def purge(self, before: datetime) -> int:
        """Forget ids kept since before ``before`` (alerts that never went out)."""
        with self.sessions.begin() as session:
            result = session.execute(delete(MemberRef).where(MemberRef.created_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
