"""Warnings waiting for parents who have never started a private chat with the bot.

Telegram forbids a bot to message someone first. The warning is kept here under
an unguessable token that a deep link in a neutral group notice carries; when
the parent presses Start, the bot may write to them and delivers it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from storage.models import OutboxItem, PendingWarning
from storage.repository import IncidentLog

#: The outbox kind that removes a notice from the group after a few minutes.
DELETE_NOTICE = "delete_notice"


class PendingWarnings:
    """Reads and writes ``pending_warnings``."""

    def __init__(self, log: IncidentLog) -> None:
        self.sessions = log.sessions

    def for_outbox(self, outbox_id: int) -> PendingWarning | None:
        """The pending warning made for an outbox item on an earlier attempt, if any."""
        with self.sessions() as session:
            return session.scalar(
                select(PendingWarning).where(PendingWarning.outbox_id == outbox_id)
            )

    def create(
        self, item: OutboxItem, pseudonym: str, now: datetime, keep: timedelta
    ) -> PendingWarning:
        """Keep a warning for the parent with ``pseudonym`` until they open it."""
        pending = PendingWarning(
            token=secrets.token_urlsafe(16),
            outbox_id=item.id,
            incident_id=item.incident_id,
            platform=item.platform,
            group_id=item.group_id,
            pseudonym=pseudonym,
            text=str(item.payload["text"]),
            created_at=now,
            expires_at=now + keep,
        )
        with self.sessions.begin() as session:
            session.add(pending)
        return pending

    def noticed(
        self, pending: PendingWarning, notice_ref: str, now: datetime, remove_at: datetime
    ) -> None:
        """Record the group notice, and queue its removal, in one transaction."""
        with self.sessions.begin() as session:
            row = session.get(PendingWarning, pending.token)
            if row is None:
                return
            row.notice_ref = notice_ref
            session.add(
                OutboxItem(
                    incident_id=pending.incident_id,
                    created_at=now,
                    platform=pending.platform,
                    group_id=pending.group_id,
                    kind=DELETE_NOTICE,
                    recipient=None,
                    payload={"kind": DELETE_NOTICE, "message_ref": notice_ref},
                    status="pending",
                    attempts=0,
                    next_attempt_at=remove_at,
                )
            )

    def get(self, token: str, now: datetime) -> PendingWarning | None:
        """The unexpired warning a deep link's token names."""
        with self.sessions() as session:
            pending = session.get(PendingWarning, token)
        return pending if pending is not None and pending.expires_at > now else None

    def waiting_for(self, pseudonym: str, now: datetime) -> list[PendingWarning]:
        """Every unexpired warning waiting for one parent, oldest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(PendingWarning)
                    .where(PendingWarning.pseudonym == pseudonym, PendingWarning.expires_at > now)
                    .order_by(PendingWarning.created_at)
                )
            )

    def delivered(self, token: str) -> None:
        """Forget a warning once the parent has it."""
        with self.sessions.begin() as session:
            session.execute(delete(PendingWarning).where(PendingWarning.token == token))

    def purge_expired(self, now: datetime) -> int:
        """Forget warnings nobody opened in time; returns how many."""
        with self.sessions.begin() as session:
            result = session.execute(delete(PendingWarning).where(PendingWarning.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)
