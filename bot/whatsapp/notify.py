"""What the WhatsApp side adds to the outbox itself: appeals, reports, resends, late removals.

Queued rather than sent at once, so the outbox worker delivers them with the
same retries as the pipeline's own notifications.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from moderation.actions import AlertModerators, DeleteMessage
from moderation.message import Platform
from storage.models import OutboxItem
from storage.repository import IncidentLog

#: Payload flag of an item to be sent inside the approved template.
TEMPLATE = "template"


def queue_moderator_alert(
    log: IncidentLog,
    group_id: str,
    text: str,
    now: datetime,
    *,
    incident_id: int | None = None,
    platform: str = Platform.WHATSAPP.value,
) -> None:
    """Queue a message for a group's moderators."""
    item = OutboxItem(
        incident_id=incident_id,
        created_at=now,
        platform=platform,
        group_id=group_id,
        kind=AlertModerators.kind,
        recipient=None,
        payload={**AlertModerators(text=text).to_payload(), "message_ref": None},
        batch_key=None,
        status="pending",
        attempts=0,
        next_attempt_at=now,
    )
    _add(log, item)


def _add(log: IncidentLog, item: OutboxItem) -> None:
    with log.sessions.begin() as session:
        session.add(item)


def queue_deletion(
    log: IncidentLog,
    group_id: str,
    message_sid: str,
    now: datetime,
    *,
    incident_id: int | None = None,
) -> None:
    """Queue the removal of a published class-group message."""
    _add(
        log,
        OutboxItem(
            incident_id=incident_id,
            created_at=now,
            platform=Platform.WHATSAPP.value,
            group_id=group_id,
            kind=DeleteMessage.kind,
            recipient=None,
            payload={**DeleteMessage().to_payload(), "message_ref": message_sid},
            batch_key=None,
            status="pending",
            attempts=0,
            next_attempt_at=now,
        ),
    )


def queue_template_resend(log: IncidentLog, item_ids: Sequence[int], to: str, now: datetime) -> int:
    """Queue sent items again for one recipient, inside the template this time.

    Used when Twilio reports, after accepting a free-form message, that it failed
    because the 24-hour window was closed. Items that are unknown, not WhatsApp
    or were themselves template sends are left alone. Returns how many were queued.
    """
    queued = 0
    with log.sessions.begin() as session:
        for item_id in item_ids:
            sent = session.get(OutboxItem, item_id)
            if sent is None or sent.platform != Platform.WHATSAPP.value:
                continue
            if sent.payload.get(TEMPLATE):
                continue
            session.add(
                OutboxItem(
                    incident_id=sent.incident_id,
                    created_at=now,
                    platform=sent.platform,
                    group_id=sent.group_id,
                    kind=sent.kind,
                    recipient=to,
                    payload={**sent.payload, TEMPLATE: True},
                    batch_key=None,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
            queued += 1
    return queued
