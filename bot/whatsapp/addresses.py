"""WhatsApp addresses as Twilio writes them: ``whatsapp:+447911123456``."""

from __future__ import annotations

from config.phones import WHATSAPP_PREFIX, PhoneError, normalise_phone

__all__ = ["PhoneError", "masked", "phone_of", "whatsapp_address"]


def whatsapp_address(raw: str, region: str = "GB") -> str:
    """A phone number in any common form as a Twilio WhatsApp address.

    Raises :class:`PhoneError` (one line, naming the number) when it is not valid.
    """
    return WHATSAPP_PREFIX + normalise_phone(raw, region)


def phone_of(address: str) -> str:
    """The E.164 number inside a WhatsApp address."""
    return address.removeprefix(WHATSAPP_PREFIX)


def masked(address: str) -> str:
    """A number shown only by its last four digits, for logs and fallback names."""
    digits = phone_of(address)
    return f"…{digits[-4:]}" if len(digits) > 4 else "…"
