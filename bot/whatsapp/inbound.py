"""One-to-one WhatsApp messages to the school's number, and the commands in them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.whatsapp.addresses import PhoneError, whatsapp_address
from bot.whatsapp.events import MalformedEvent

CASE_VERBS = ("FP", "CONFIRM", "REMOVE", "APPEAL")
WORD_VERBS = ("HELP", "POLICY")

CASE_COMMAND = re.compile(
    rf"^\s*({'|'.join(CASE_VERBS)})\b\s*(?:(?:case\s*)?#?\s*(\d+))?\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)
WORD_COMMAND = re.compile(rf"^\s*({'|'.join(WORD_VERBS)})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DirectMessage:
    """A message someone sent to the school's WhatsApp number."""

    sender: str
    body: str
    forwarded: bool
    has_media: bool

    @classmethod
    def from_form(cls, form: Mapping[str, str], region: str) -> DirectMessage:
        """Read Twilio's inbound-message webhook, or raise :class:`MalformedEvent`."""
        raw = form.get("From", "")
        if not raw.startswith("whatsapp:"):
            raise MalformedEvent("From is not a WhatsApp address")
        try:
            sender = whatsapp_address(raw, region)
        except PhoneError as exc:
            raise MalformedEvent(f"From: {exc}") from None
        forwarded = "true" in (
            form.get("Forwarded", "").lower(),
            form.get("FrequentlyForwarded", "").lower(),
        )
        try:
            media = int(form.get("NumMedia") or 0) > 0
        except ValueError:
            raise MalformedEvent("NumMedia is not a number") from None
        return cls(sender, form.get("Body", "").strip(), forwarded, media)


@dataclass(frozen=True, slots=True)
class Command:
    """A command word, the case number it names (if any) and the rest of the text."""

    verb: str
    case: int | None = None
    rest: str = ""


def parse_command(body: str) -> Command | None:
    """``FP 12``, ``confirm #12``, ``APPEAL 12 it was a joke``, ``HELP``…; None for other text."""
    found = CASE_COMMAND.match(body)
    if found:
        verb, case, rest = found.groups()
        return Command(verb.upper(), int(case) if case else None, rest.strip())
    word = WORD_COMMAND.match(body)
    return Command(word.group(1).upper()) if word else None
