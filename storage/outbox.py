"""The outbox queue: notifications claimed, sent and retried, surviving crashes.

Statuses: ``pending`` (waiting, maybe for a retry), ``sending`` (claimed by a
worker), ``sent``, ``failed`` (gave up after the last attempt; stays visible).
A claim is a lease: an item left ``sending`` by a worker that died is pending
again after :data:`LEASE`, so nothing is lost, and one claim is won by exactly
one worker, so nothing is sent twice by two workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from storage.models import OutboxItem
from storage.repository import IncidentLog

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try: doubling from 30 seconds, at most two hours."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, LONGEST_RETRY)


class OutboxQueue:
    """Queue operations over the incident log's ``outbox`` table."""

    def __init__(self, log: IncidentLog) -> None:
        self.sessions = log.sessions

    def release_stale(self, now: datetime) -> int:
        """Make items whose worker's lease ran out pending again; returns how many."""
        with self.sessions.begin() as session:
            result = session.execute(
                update(OutboxItem)
                .where(OutboxItem.status == "sending", OutboxItem.claimed_at < now - LEASE)
                .values(status="pending", claimed_at=None)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def claim_due(self, now: datetime, limit: int = 50) -> list[OutboxItem]:
        """Claim due items, oldest first; each is won by one worker only."""
        with self.sessions() as session:
            ids = list(
                session.scalars(
                    select(OutboxItem.id)
                    .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
                    .order_by(OutboxItem.id)
                    .limit(limit)
                )
            )
        return self._claim(ids, now)

    def _claim(self, ids: Sequence[int], now: datetime) -> list[OutboxItem]:
        """Move each pending item to ``sending``; returns those this worker won."""
        claimed = []
        for item_id in ids:
            with self.sessions.begin() as session:
                won = session.execute(
                    update(OutboxItem)
                    .where(OutboxItem.id == item_id, OutboxItem.status == "pending")
                    .values(status="sending", claimed_at=now)
                )
                if getattr(won, "rowcount", 0) == 1:
                    item = session.get(OutboxItem, item_id)
                    assert item is not None
                    claimed.append(item)
        return claimed

    def mark_sent(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Record delivery; the recipient's address is no longer needed and is erased."""
        with self.sessions.begin() as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_([i.id for i in items]))
                .values(status="sent", sent_at=now, recipient=None, last_error=None)
            )

    def mark_failed(
        self, item: OutboxItem, error: str, now: datetime, retry_after: timedelta | None = None
    ) -> str:
        """Record a failed try: retry later with back-off, or give up after the last attempt."""
        attempts = item.attempts + 1
        status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
        delay = max(retry_after or timedelta(0), backoff(attempts))
        with self.sessions.begin() as session:
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item.id)
                .values(
                    status=status,
                    attempts=attempts,
                    last_error=error[:500],
                    next_attempt_at=now + delay,
                    claimed_at=None,
                )
            )
        return status

    def retry(self, item_id: int, now: datetime) -> bool:
        """Put a failed item back in the queue (a moderator's or IT person's request)."""
        with self.sessions.begin() as session:
            result = session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item_id, OutboxItem.status == "failed")
                .values(status="pending", next_attempt_at=now, attempts=0)
            )
        return getattr(result, "rowcount", 0) == 1

    def last_batch_time(self, batch_key: str) -> datetime | None:
        """When the latest batch for a key was, or is due to be, sent."""
        with self.sessions() as session:
            return session.scalar(
                select(OutboxItem.next_attempt_at)
                .where(OutboxItem.batch_key == batch_key)
                .order_by(OutboxItem.next_attempt_at.desc())
                .limit(1)
            )
