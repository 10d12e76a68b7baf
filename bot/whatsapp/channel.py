"""The outbox's ``whatsapp`` channel: warnings to parents, alerts to moderators.

Warnings go to the parent's WhatsApp number from the school's number; alerts
and removal recommendations go to each moderator of the group who has a
``whatsapp`` number in the config. A message refused by the pre-event webhook
was never published, so its ``delete_message`` has nothing left to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from bot.outbox_worker import DeliveryError
from bot.whatsapp.addresses import masked, whatsapp_address
from bot.whatsapp.client import NOT_FOUND, TwilioFailure
from bot.whatsapp.conversations import ClassGroups
from bot.whatsapp.events import MESSAGE_SID
from bot.whatsapp.notify import TEMPLATE
from bot.whatsapp.sender import WhatsAppSender
from config.schema import Settings
from moderation.actions import AlertModerators, DeleteMessage, RecommendRemoval, WarnPrivately
from storage.models import Incident, OutboxItem
from storage.repository import IncidentLog

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
MODERATOR_KINDS = frozenset({AlertModerators.kind, RecommendRemoval.kind})
#: How long to wait after Twilio says it is busy.
BUSY_WAIT = timedelta(minutes=1)


def _delivery_error(exc: TwilioFailure) -> DeliveryError:
    wait = BUSY_WAIT if exc.temporary and exc.status is not None else None
    return DeliveryError(str(exc), retry_after=wait)


class WhatsAppChannel:
    """Delivers the outbox's WhatsApp items through Twilio."""

    def __init__(
        self,
        settings: Settings,
        log: IncidentLog,
        sender: WhatsAppSender,
        groups: ClassGroups | None,
        public_url: str | None,
        *,
        dry_run: bool = False,
    ) -> None:
        self.settings = settings
        self.log = log
        self.sender = sender
        self.groups = groups
        self.public_url = public_url
        self.dry_run = dry_run

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        """Deliver one item (and the items batched with it) without blocking the event loop."""
        await asyncio.to_thread(self._deliver, item, batch)

    def _deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        if self.dry_run:
            log.info("dry run: %s for case %s not sent", item.kind, self._case_of(item))
            return
        try:
            if item.kind == WarnPrivately.kind:
                self._warn(item)
            elif item.kind in MODERATOR_KINDS:
                self._alert(item, batch)
            elif item.kind == DeleteMessage.kind:
                self._delete(item)
            else:
                raise DeliveryError(f"{item.kind} cannot be delivered on WhatsApp")
        except TwilioFailure as exc:
            raise _delivery_error(exc) from None

    def _status_callback(self, items: Sequence[OutboxItem]) -> str | None:
        """Where Twilio reports the fate of a free-form message (to resend it as the template)."""
        if self.public_url is None:
            return None
        return f"{self.public_url}{STATUS_PATH}?items={','.join(str(i.id) for i in items)}"

    def _send(self, item: OutboxItem, items: Sequence[OutboxItem], to: str, text: str) -> None:
        if item.payload.get(TEMPLATE):
            self.sender.send_template(to, text)
        else:
            self.sender.send(to, text, self._status_callback(items))

    def _case_of(self, item: OutboxItem) -> int | None:
        """The case an item is about: its incident, or the one recorded for its message."""
        if item.incident_id is not None:
            return item.incident_id
        ref = item.payload.get("message_ref")
        if not isinstance(ref, str):
            return None
        with self.log.sessions() as session:
            return session.scalar(
                select(Incident.id)
                .where(
                    Incident.platform == item.platform,
                    Incident.group_id == item.group_id,
                    Incident.message_ref == ref,
                )
                .order_by(Incident.id.desc())
                .limit(1)
            )

    def _warn(self, item: OutboxItem) -> None:
        if not item.recipient:
            raise DeliveryError("the parent's WhatsApp number is no longer known")
        text = str(item.payload["text"])
        case = self._case_of(item)
        if case is not None:
            text += f"\n\nTo appeal, reply APPEAL {case} and tell us why."
        self._send(item, [item], item.recipient, text)

    def _alert(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        items = [item, *batch]
        text = "\n\n".join(str(i.payload["text"]) for i in items)
        cases = [c for c in map(self._case_of, items) if c is not None]
        if len(cases) == 1:
            text += (
                f"\n\nReply FP {cases[0]} if this is a mistake, CONFIRM {cases[0]} to uphold it, "
                f"or REMOVE {cases[0]} to remove the parent from the group."
            )
        elif cases:
            text += (
                "\n\nReply FP, CONFIRM or REMOVE with a case number "
                f"({', '.join(map(str, cases))}), for example FP {cases[0]}."
            )
        recipients = [item.recipient] if item.recipient else self._moderators(item)
        failures: list[TwilioFailure] = []
        for to in recipients:
            try:
                self._send(item, items, to, text)
            except TwilioFailure as exc:
                log.warning("alert to moderator %s not sent: %s", masked(to), exc)
                failures.append(exc)
        temporary = [f for f in failures if f.temporary]
        if temporary or (failures and len(failures) == len(recipients)):
            raise (temporary or failures)[0]

    def _moderators(self, item: OutboxItem) -> list[str]:
        group = self.settings.group(item.platform, item.group_id)
        region = self.settings.whatsapp.phone_region
        numbers = [m.whatsapp for m in (group.moderators if group else []) if m.whatsapp]
        if not numbers:
            raise DeliveryError(
                f"no moderator of {group.name if group else item.group_id} has a WhatsApp number "
                "in the config"
            )
        return [whatsapp_address(n, region) for n in numbers]

    def _delete(self, item: OutboxItem) -> None:
        ref = item.payload.get("message_ref")
        if not isinstance(ref, str) or not MESSAGE_SID.match(ref):
            return  # refused before publication: there is nothing to delete
        if self.groups is None:
            raise DeliveryError("set whatsapp.conversations_service_sid to delete messages")
        try:
            self.groups.delete_message(item.group_id, ref)
        except TwilioFailure as exc:
            if exc.code != NOT_FOUND and exc.status != 404:
                raise
