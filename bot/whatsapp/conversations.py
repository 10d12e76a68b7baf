"""Class groups as Twilio Conversations: creating them, their members and their webhooks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from twilio.rest import Client

from bot.whatsapp.addresses import whatsapp_address
from bot.whatsapp.client import TWILIO_ERRORS, failure
from bot.whatsapp.credentials import WhatsAppSetupError
from config.schema import Group, Settings

#: The pre-event webhook judges a message before publication; the post-event one after.
WEBHOOK_FILTERS = ("onMessageAdd", "onMessageAdded")
CONVERSATIONS_PATH = "/webhooks/twilio/conversations"


@dataclass(frozen=True, slots=True)
class Participant:
    """A member of a class group reached on WhatsApp (or another channel)."""

    sid: str
    address: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A class group's Conversation."""

    sid: str
    name: str
    state: str


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The Conversations service's webhook targets."""

    pre_webhook_url: str | None
    post_webhook_url: str | None
    filters: tuple[str, ...]


def _participant(instance: Any) -> Participant:
    binding = instance.messaging_binding or {}
    try:
        attributes = json.loads(instance.attributes or "{}")
    except ValueError:
        attributes = {}
    name = attributes.get("name") if isinstance(attributes, dict) else None
    return Participant(
        sid=str(instance.sid),
        address=binding.get("address") if isinstance(binding, dict) else None,
        name=name if isinstance(name, str) and name.strip() else None,
    )


class ClassGroups:
    """The school's Conversations service, where each class group is a Conversation."""

    def __init__(self, client: Client, settings: Settings) -> None:
        sid = settings.whatsapp.conversations_service_sid
        if sid is None:
            raise WhatsAppSetupError("set whatsapp.conversations_service_sid in the config")
        self.settings = settings
        self.service = client.conversations.v1.services(sid)

    def group_sender(self, group: Group | None) -> str:
        """The WhatsApp address a group's Conversation uses to reach its parents."""
        number = (group.whatsapp_sender if group else None) or self.settings.whatsapp.group_sender
        if number is None:
            raise WhatsAppSetupError("set whatsapp.group_sender (or the group's whatsapp_sender)")
        return whatsapp_address(number, self.settings.whatsapp.phone_region)

    def create(self, name: str) -> Conversation:
        """A new, empty class group."""
        try:
            made = self.service.conversations.create(
                friendly_name=name, attributes=json.dumps({"classguard": True})
            )
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return Conversation(str(made.sid), made.friendly_name or name, str(made.state))

    def conversations(self) -> list[Conversation]:
        """Every Conversation in the service."""
        try:
            found = self.service.conversations.list()
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return [Conversation(str(c.sid), c.friendly_name or "", str(c.state)) for c in found]

    def participants(self, conversation_sid: str) -> list[Participant]:
        """A group's members."""
        try:
            found = self.service.conversations(conversation_sid).participants.list()
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return [_participant(p) for p in found]

    def participant(self, conversation_sid: str, participant_sid: str) -> Participant:
        """One member."""
        try:
            found = (
                self.service.conversations(conversation_sid).participants(participant_sid).fetch()
            )
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return _participant(found)

    def add(self, conversation_sid: str, address: str, name: str, proxy: str) -> Participant:
        """Add a parent's WhatsApp number to a group, under their name."""
        try:
            made = self.service.conversations(conversation_sid).participants.create(
                messaging_binding_address=address,
                messaging_binding_proxy_address=proxy,
                attributes=json.dumps({"name": name}, ensure_ascii=False),
            )
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return _participant(made)

    def remove(self, conversation_sid: str, participant_sid: str) -> None:
        """Remove a member: they receive nothing from the group after this."""
        try:
            self.service.conversations(conversation_sid).participants(participant_sid).delete()
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None

    def find(self, conversation_sid: str, address: str) -> Participant | None:
        """The member with this WhatsApp address, if they are in the group."""
        return next((p for p in self.participants(conversation_sid) if p.address == address), None)

    def delete_message(self, conversation_sid: str, message_sid: str) -> None:
        """Delete a published message from the Conversation."""
        try:
            self.service.conversations(conversation_sid).messages(message_sid).delete()
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None

    def conversations_of(self, address: str) -> list[str]:
        """The SIDs of the groups a WhatsApp address is a member of."""
        try:
            found = self.service.participant_conversations.list(address=address)
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return [str(c.conversation_sid) for c in found]

    def configure_webhooks(self, public_url: str) -> WebhookSettings:
        """Point the service's pre- and post-event webhooks at ClassGuard, for messages only."""
        url = public_url.rstrip("/") + CONVERSATIONS_PATH
        try:
            done = self.service.configuration.webhooks().update(
                pre_webhook_url=url,
                post_webhook_url=url,
                filters=list(WEBHOOK_FILTERS),
                method="POST",
            )
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        filters = tuple(done.filters or ())
        return WebhookSettings(done.pre_webhook_url, done.post_webhook_url, filters)
