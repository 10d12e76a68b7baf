"""Which class-group messages were judged, so that each is judged and recorded once.

The pre-event webhook has no message SID, so a message is first known by its
content key: a keyed hash of the Conversation, the author and the content. The
post-event webhook for the same message carries the same content and claims
the oldest unclaimed row with that key, learning the SID for the log. A second
delivery of either webhook finds its row again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.whatsapp.events import ConversationEvent
from storage.models import WhatsAppMessage
from storage.repository import IncidentLog

#: A post-event webhook must follow its pre-event within this time to be matched to it.
MATCH_WITHIN = timedelta(hours=1)
#: A refused message can only be published if the refusal reached Twilio too late,
#: which shows within seconds; older refusals are never matched.
LATE_REFUSAL_WITHIN = timedelta(minutes=2)
#: Rows of acceptable messages (a hash and a time) are kept no longer than this.
KEEP_ACCEPTABLE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Judged:
    """What was decided about a message earlier."""

    message_ref: str
    message_sid: str | None
    incident_id: int | None
    blocked: bool


def _judged(row: WhatsAppMessage) -> Judged:
    return Judged(row.message_ref, row.message_sid, row.incident_id, row.blocked)


class MessageLedger:
    """Reads and writes the ``whatsapp_messages`` table."""

    def __init__(self, log: IncidentLog) -> None:
        self.log = log
        self.sessions = log.sessions

    def content_key(self, event: ConversationEvent) -> str:
        """A keyed hash of what identifies a message before it has a SID."""
        parts = [
            event.conversation_sid,
            event.participant_sid or event.author,
            event.body,
            *(m.sid for m in event.media),
        ]
        return self.log.pseudonym("whatsapp-message", "\x1f".join(parts))

    def by_sid(self, message_sid: str) -> Judged | None:
        """The judgement recorded for a published message, if any."""
        with self.sessions() as session:
            row = session.scalar(
                select(WhatsAppMessage).where(WhatsAppMessage.message_sid == message_sid)
            )
            return _judged(row) if row else None

    def by_ref(self, message_ref: str) -> Judged | None:
        """The judgement recorded under a message id, if any."""
        with self.sessions() as session:
            row = session.scalar(
                select(WhatsAppMessage).where(WhatsAppMessage.message_ref == message_ref)
            )
            return _judged(row) if row else None

    def earlier_attempt(self, conversation: str, key: str, since: datetime) -> Judged | None:
        """The latest unpublished judgement of the same content: a retried pre-event."""
        with self.sessions() as session:
            row = session.scalar(
                select(WhatsAppMessage)
                .where(
                    WhatsAppMessage.conversation_sid == conversation,
                    WhatsAppMessage.content_key == key,
                    WhatsAppMessage.message_sid.is_(None),
                    WhatsAppMessage.judged_at >= since,
                )
                .order_by(WhatsAppMessage.id.desc())
                .limit(1)
            )
            return _judged(row) if row else None

    def claim(self, conversation: str, key: str, message_sid: str, now: datetime) -> Judged | None:
        """Link a published message to its pre-event judgement; None if it had none.

        A judgement that refused the message is matched too, within seconds: then
        the refusal came after Twilio had stopped waiting, and the message is out.
        """
        with self.sessions() as session:
            candidates = list(
                session.scalars(
                    select(WhatsAppMessage.id)
                    .where(
                        WhatsAppMessage.conversation_sid == conversation,
                        WhatsAppMessage.content_key == key,
                        WhatsAppMessage.message_sid.is_(None),
                        or_(
                            WhatsAppMessage.blocked.is_(False)
                            & (WhatsAppMessage.judged_at >= now - MATCH_WITHIN),
                            WhatsAppMessage.blocked.is_(True)
                            & (WhatsAppMessage.judged_at >= now - LATE_REFUSAL_WITHIN),
                        ),
                    )
                    .order_by(WhatsAppMessage.id)
                    .limit(5)
                )
            )
        for row_id in candidates:
            with self.sessions.begin() as session:
                won = session.execute(
                    update(WhatsAppMessage)
                    .where(WhatsAppMessage.id == row_id, WhatsAppMessage.message_sid.is_(None))
                    .values(message_sid=message_sid)
                )
                if getattr(won, "rowcount", 0) == 1:
                    row = session.get(WhatsAppMessage, row_id)
                    assert row is not None
                    return _judged(row)
        return None

    def record(
        self,
        event: ConversationEvent,
        key: str,
        message_ref: str,
        incident_id: int | None,
        blocked: bool,
        now: datetime,
    ) -> None:
        """Remember a judgement; a second record of the same message is ignored."""
        row = WhatsAppMessage(
            conversation_sid=event.conversation_sid,
            content_key=key,
            message_ref=message_ref,
            message_sid=event.message_sid,
            incident_id=incident_id,
            blocked=blocked,
            judged_at=now,
        )
        try:
            with self.sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            pass  # the same message, recorded by a concurrent delivery

    def purge(self, now: datetime, retention: timedelta) -> int:
        """Forget acceptable messages after a day and every row after the retention period."""
        with self.sessions.begin() as session:
            result = session.execute(
                delete(WhatsAppMessage).where(
                    or_(
                        (WhatsAppMessage.incident_id.is_(None))
                        & (WhatsAppMessage.judged_at < now - KEEP_ACCEPTABLE),
                        WhatsAppMessage.judged_at < now - retention,
                    )
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)
