"""Phone numbers, validated and written in E.164 form with ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

WHATSAPP_PREFIX = "whatsapp:"


class PhoneError(ValueError):
    """A phone number that cannot be used, explained in one line."""


def normalise_phone(raw: str, region: str = "GB") -> str:
    """``raw`` as an E.164 number (``+447911123456``); a national number is read in ``region``.

    A ``whatsapp:`` prefix is accepted and dropped. Raises :class:`PhoneError`
    for anything that is not a valid, dialable number.
    """
    text = raw.strip()
    if text.lower().startswith(WHATSAPP_PREFIX):
        text = text[len(WHATSAPP_PREFIX) :]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
