"""Checking that a webhook request really comes from Twilio.

Twilio signs the full URL it called plus the form fields with the account's
auth token (or, where a Webhook Rule says so, a shared key) in
``X-Twilio-Signature``. Behind a reverse proxy the app cannot see that URL, so
it is rebuilt from ``CLASSGUARD_PUBLIC_URL``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.datastructures import URL
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from bot.whatsapp.credentials import TwilioCredentials

log = logging.getLogger(__name__)


class FormParams(dict[str, list[str]]):
    """Form fields, each with every value it was given (as Twilio signs them)."""

    @classmethod
    def parse(cls, body: str) -> FormParams:
        """Fields of an ``application/x-www-form-urlencoded`` body."""
        params = cls()
        for name, value in parse_qsl(body, keep_blank_values=True):
            params.setdefault(name, []).append(value)
        return params

    def getlist(self, name: str) -> list[str]:
        """Every value of a field (the signature validator reads them this way)."""
        return self.get(name, [])

    def first(self) -> dict[str, str]:
        """Each field's first value."""
        return {name: values[0] for name, values in self.items() if values}


class WebhookAuthenticator:
    """Validates ``X-Twilio-Signature`` for requests to this app."""

    def __init__(self, credentials: TwilioCredentials, public_url: str | None) -> None:
        self.credentials = credentials
        self.public_url = public_url

    def url_for(self, url: URL) -> str:
        """The URL Twilio called: the public address with this request's path and query."""
        if self.public_url is None:
            return str(url)
        query = f"?{url.query}" if url.query else ""
        return f"{self.public_url}{url.path}{query}"

    def verify(self, url: URL, params: FormParams, headers: Mapping[str, str]) -> bool:
        """Whether the request carries Twilio's valid signature."""
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        settings = headers.get(SIGNATURE_SETTINGS_HEADER)
        if settings:
            if self.credentials.shared_key is None:
                log.warning("a webhook is signed with a shared key; set TWILIO_WEBHOOK_SHARED_KEY")
                return False
            validator = RequestValidator(self.credentials.shared_key)
            algorithm = get_signature_algorithm(settings)
        else:
            validator = RequestValidator(self.credentials.auth_token)
            algorithm = None
        return bool(validator.validate(self.url_for(url), params, signature, algorithm))
