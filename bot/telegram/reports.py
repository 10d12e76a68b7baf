"""Members' reports and parents' appeals: rate limits and the moderator alerts they queue.

These alerts go through the outbox like the pipeline's, so a failed send is
retried rather than lost.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.telegram.bindings import PLATFORM
from moderation.actions import AlertModerators
from storage.models import Incident, OutboxItem
from storage.repository import IncidentLog

HOUR = timedelta(hours=1)


class RateLimit:
    """At most ``per_hour`` uses per key in any hour (kept in memory)."""

    def __init__(self, per_hour: int, clock: Callable[[], datetime]) -> None:
        self.per_hour = per_hour
        self.clock = clock
        self.uses: dict[Hashable, deque[datetime]] = defaultdict(deque)

    def allow(self, key: Hashable) -> bool:
        """Count a use of ``key`` if it is within the limit."""
        now = self.clock()
        uses = self.uses[key]
        while uses and uses[0] <= now - HOUR:
            uses.popleft()
        if len(uses) >= self.per_hour:
            return False
        uses.append(now)
        return True


def incident_for(log: IncidentLog, group_id: str, message_ref: str) -> Incident | None:
    """The latest incident about a Telegram message (any revision), if it was flagged."""
    with log.sessions() as session:
        return session.scalar(
            select(Incident)
            .where(
                Incident.platform == PLATFORM,
                Incident.group_id == group_id,
                Incident.message_ref == message_ref,
            )
            .order_by(Incident.id.desc())
            .limit(1)
        )


def queue_alert(
    log: IncidentLog,
    group_id: str,
    incident_id: int | None,
    text: str,
    message_ref: str,
    now: datetime,
) -> None:
    """Queue a moderators' alert in the outbox, as the pipeline does for its own."""
    action = AlertModerators(text=text)
    with log.sessions.begin() as session:
        session.add(
            OutboxItem(
                incident_id=incident_id,
                created_at=now,
                platform=PLATFORM,
                group_id=group_id,
                kind=action.kind,
                recipient=None,
                payload={**action.to_payload(), "message_ref": message_ref},
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
        )
