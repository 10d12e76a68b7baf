"""One-to-one WhatsApp messages from the school's number, with the template fallback.

WhatsApp lets a business write freely only within 24 hours of the person's last
message to it. Outside that window Twilio refuses a free-form message with error
63016, and only an approved template may be sent: ClassGuard then resends the
text inside the school's template, whose body carries two variables, ``{{1}}``
the school's name and ``{{2}}`` the message on one line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from twilio.rest import Client

from bot.whatsapp.addresses import masked, whatsapp_address
from bot.whatsapp.client import OUTSIDE_WINDOW, TWILIO_ERRORS, TwilioFailure, failure
from bot.whatsapp.credentials import WhatsAppSetupError
from config.schema import Settings

log = logging.getLogger(__name__)

#: The longest body Twilio sends as one WhatsApp message.
MAX_BODY = 1600
#: WhatsApp caps a template's whole body at 1,024 characters; this leaves room for its words.
TEMPLATE_TEXT_LIMIT = 900


@dataclass(frozen=True, slots=True)
class Sent:
    """One message Twilio accepted."""

    sid: str
    template: bool


def split_text(text: str, limit: int = MAX_BODY) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut between paragraphs where possible."""
    parts: list[str] = []
    current = ""
    for paragraph in text.strip().split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(paragraph) > limit:
            cut = paragraph.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            parts.append(paragraph[:cut].rstrip())
            paragraph = paragraph[cut:].lstrip()
        current = paragraph
    if current:
        parts.append(current)
    return parts


def one_line(text: str, limit: int = TEMPLATE_TEXT_LIMIT) -> str:
    """``text`` as a template variable: WhatsApp refuses line breaks and runs of spaces there."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class WhatsAppSender:
    """Sends from the school's number (or Messaging Service), falling back to the template."""

    def __init__(self, client: Client, settings: Settings) -> None:
        whatsapp = settings.whatsapp
        if whatsapp.messaging_service_sid:
            self.origin = {"messaging_service_sid": whatsapp.messaging_service_sid}
        elif whatsapp.sender:
            self.origin = {"from_": whatsapp_address(whatsapp.sender, whatsapp.phone_region)}
        else:
            raise WhatsAppSetupError(
                "set whatsapp.sender (or whatsapp.messaging_service_sid) in the config"
            )
        self.client = client
        self.school = settings.school.name
        self.template_sid = whatsapp.template_content_sid

    def send(self, to: str, text: str, status_callback: str | None = None) -> list[Sent]:
        """Send ``text`` to a WhatsApp address, as the template when the window is closed.

        Raises :class:`TwilioFailure` when Twilio refuses, or the window is closed
        and the school has no template.
        """
        sent: list[Sent] = []
        parts = split_text(text)
        for index, part in enumerate(parts):
            try:
                sent.append(self._freeform(to, part, status_callback))
            except TwilioFailure as exc:
                if exc.code != OUTSIDE_WINDOW:
                    raise
                log.info("outside the 24-hour window with %s; sending the template", masked(to))
                sent.append(self.send_template(to, "\n\n".join(parts[index:])))
                break
        return sent

    def send_template(self, to: str, text: str) -> Sent:
        """Send ``text`` inside the school's approved template."""
        if self.template_sid is None:
            raise TwilioFailure(
                f"{masked(to)} has not written to the school's number in 24 hours, so WhatsApp "
                "needs an approved template: set whatsapp.template_content_sid",
                OUTSIDE_WINDOW,
            )
        variables = json.dumps({"1": self.school, "2": one_line(text)}, ensure_ascii=False)
        try:
            message = self.client.messages.create(
                to=to, content_sid=self.template_sid, content_variables=variables, **self.origin
            )
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return Sent(str(message.sid), template=True)

    def route_replies(self, url: str) -> bool:
        """Point the Messaging Service's incoming messages at ``url``; False without one."""
        service = self.origin.get("messaging_service_sid")
        if service is None:
            return False
        try:
            self.client.messaging.v1.services(service).update(
                inbound_request_url=url, inbound_method="POST", use_inbound_webhook_on_number=False
            )
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return True

    def _freeform(self, to: str, text: str, status_callback: str | None) -> Sent:
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=text, **self.origin, **extra)
        except TWILIO_ERRORS as exc:
            raise failure(exc) from None
        return Sent(str(message.sid), template=False)
