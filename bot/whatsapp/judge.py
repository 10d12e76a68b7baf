"""Judging class-group messages from Twilio's pre- and post-event webhooks.

In an ``enforce`` group the pre-event webhook judges each message before it is
published and refuses it when the decision removes it: nobody else ever sees
it. In ``warn`` and ``observe`` groups nothing is refused, so the post-event
webhook judges the published message instead. Either way the pipeline records
the incident and queues the warning and alerts in the outbox.

Message ids: the post-event id is Twilio's message SID. The pre-event has none,
so its id is ``pre-`` and a hash of the ``I-Twilio-Idempotency-Token`` header
(the same on Twilio's retries), or a random one without it; the ledger links it
to the SID when the post-event arrives.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.whatsapp.addresses import PhoneError, whatsapp_address
from bot.whatsapp.events import ConversationEvent
from bot.whatsapp.ledger import MessageLedger
from bot.whatsapp.names import ParticipantNames
from bot.whatsapp.notify import queue_deletion
from config.phones import WHATSAPP_PREFIX
from config.schema import Group, Mode
from moderation.actions import DeleteMessage
from moderation.decision import Decision
from moderation.escalation import plan
from moderation.message import Message, Platform
from moderation.pipeline import Pipeline

log = logging.getLogger(__name__)

#: A retried pre-event is matched to the first attempt's judgement within this time.
RETRY_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pre-event webhook's answer: refuse the message, or let it through."""

    block: bool
    incident_id: int | None = None


class GroupJudge:
    """Turns Conversations message events into pipeline decisions, once per message."""

    def __init__(
        self,
        pipeline: Pipeline,
        ledger: MessageLedger,
        names: ParticipantNames,
        clock: Callable[[], datetime],
        *,
        dry_run: bool = False,
    ) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.ledger = ledger
        self.names = names
        self.clock = clock
        self.dry_run = dry_run

    def group_for(self, event: ConversationEvent) -> Group | None:
        """The configured WhatsApp group the event belongs to, if any."""
        service = self.settings.whatsapp.conversations_service_sid
        if service and event.service_sid and event.service_sid != service:
            return None
        return self.settings.group(Platform.WHATSAPP.value, event.conversation_sid)

    def pre_event(self, event: ConversationEvent, token: str | None) -> Verdict:
        """Judge a message before publication, in ``enforce`` groups only."""
        group = self.group_for(event)
        if group is None or group.mode is not Mode.ENFORCE or not _judgeable(event):
            return Verdict(block=False)
        key = self.ledger.content_key(event)
        now = self.clock()
        ref = "pre-" + (
            hashlib.sha256(token.encode()).hexdigest()[:32] if token else uuid.uuid4().hex
        )
        earlier = self.ledger.by_ref(ref)
        if earlier is None and event.retry_count:
            earlier = self.ledger.earlier_attempt(event.conversation_sid, key, now - RETRY_WINDOW)
        if earlier is not None:
            log.debug("pre-event retry for %s", earlier.message_ref)
            return Verdict(earlier.blocked, earlier.incident_id)
        decision = self.pipeline.process(self._message(event, ref, now))
        block = self._removes(decision)
        if block and self.dry_run:
            log.info("dry run: case #%s would have been refused", decision.incident_id)
            block = False
        self.ledger.record(event, key, ref, decision.incident_id, block, now)
        return Verdict(block, decision.incident_id)

    def post_event(self, event: ConversationEvent) -> Decision | None:
        """Link a published message to its pre-event judgement, or judge it now."""
        assert event.message_sid is not None
        if self.group_for(event) is None or not _judgeable(event):
            return None
        if self.ledger.by_sid(event.message_sid) is not None:
            log.debug("duplicate post-event for %s", event.message_sid)
            return None
        key = self.ledger.content_key(event)
        now = self.clock()
        claimed = self.ledger.claim(event.conversation_sid, key, event.message_sid, now)
        if claimed is not None:
            if claimed.blocked:
                log.warning("case #%s was refused too late; removing it", claimed.incident_id)
                queue_deletion(
                    self.pipeline.log,
                    event.conversation_sid,
                    event.message_sid,
                    now,
                    incident_id=claimed.incident_id,
                )
            return None
        message = self._message(event, event.message_sid, event.date_created or now)
        decision = self.pipeline.process(message)
        self.ledger.record(event, key, event.message_sid, decision.incident_id, False, now)
        return decision

    def _message(self, event: ConversationEvent, message_id: str, sent_at: datetime) -> Message:
        try:
            sender = whatsapp_address(event.author, self.settings.whatsapp.phone_region)
        except PhoneError:
            sender = event.author
        name = self.names.name(event.conversation_sid, event.participant_sid, sender)
        return Message(
            platform=Platform.WHATSAPP,
            group_id=event.conversation_sid,
            message_id=message_id,
            sender_id=sender,
            sender_name=name,
            text=event.body,
            sent_at=sent_at,
            media=event.media_kind,
        )

    def _removes(self, decision: Decision) -> bool:
        """Whether the decision takes the message out of the group (for a pre-event: refuses it)."""
        if decision.duplicate:
            if not decision.flagged:
                return False
            again = plan(
                decision.categories,
                decision.severity,
                decision.strike,
                decision.mode,
                self.settings.escalation,
            )
            return again.delete
        return any(isinstance(action, DeleteMessage) for action in decision.actions)


def _judgeable(event: ConversationEvent) -> bool:
    """Parents' WhatsApp messages with something in them; staff tools and empty events pass."""
    return event.author.startswith(WHATSAPP_PREFIX) and bool(event.body.strip() or event.media)
