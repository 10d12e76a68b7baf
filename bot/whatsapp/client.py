"""The Twilio REST client, and Twilio's errors turned into one-line failures."""

from __future__ import annotations

import logging
import re

from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.whatsapp.credentials import TwilioCredentials

#: Seconds before a Twilio request is given up (the outbox retries it later).
HTTP_TIMEOUT = 10.0

#: Twilio error codes ClassGuard acts on.
OUTSIDE_WINDOW = 63016
TOO_MANY_REQUESTS = 20429
NOT_FOUND = 20404
ADDRESS_IN_ANOTHER_CONVERSATION = 50416
ALREADY_A_PARTICIPANT = 50433

RECORD_PREFIX = re.compile(r"^Unable to \w+ record: ")
#: Phone numbers inside Twilio's error texts, which end up in logs and the outbox.
PHONE_NUMBER = re.compile(r"(?<![0-9A-Za-z])\+?\d{7,15}(?![0-9A-Za-z])")


class TwilioFailure(Exception):
    """A Twilio request that failed, with Twilio's error code when it gave one."""

    def __init__(self, message: str, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def temporary(self) -> bool:
        """Whether trying again later may work (rate limits, Twilio or network trouble)."""
        if self.code == TOO_MANY_REQUESTS or self.status == 429:
            return True
        return self.status is None or self.status >= 500


#: Twilio's client logs each request's URL at INFO, and some URLs carry phone numbers.
QUIET = logging.getLogger(__name__ + ".http")
QUIET.setLevel(logging.WARNING)


def default_http_client() -> HttpClient:
    """How ClassGuard talks HTTP to Twilio: pooled connections, a time limit, no INFO logs."""
    return TwilioHttpClient(timeout=HTTP_TIMEOUT, logger=QUIET)


def make_client(credentials: TwilioCredentials, http_client: HttpClient | None = None) -> Client:
    """A Twilio REST client for the school's account."""
    return Client(
        credentials.account_sid,
        credentials.auth_token,
        http_client=http_client or default_http_client(),
    )


def failure(exc: TwilioException | RequestException) -> TwilioFailure:
    """A Twilio library or network error as a :class:`TwilioFailure` with one line of text."""
    if isinstance(exc, TwilioRestException):
        text = str(exc.msg or f"HTTP {exc.status}")
        code = exc.code if isinstance(exc.code, int) and exc.code != exc.status else None
        return TwilioFailure(_one_line(text, code), code, exc.status)
    if isinstance(exc, TwilioServiceException):
        text = exc.detail or exc.title or f"HTTP {exc.status}"
        return TwilioFailure(_one_line(text, exc.code), exc.code, exc.status)
    if isinstance(exc, RequestException):
        return TwilioFailure(f"cannot reach Twilio ({type(exc).__name__})")
    return TwilioFailure(_one_line(str(exc), None))


def _one_line(text: str, code: int | None) -> str:
    line = RECORD_PREFIX.sub("", " ".join(text.split()))
    line = PHONE_NUMBER.sub(lambda m: f"…{m.group()[-4:]}", line)
    return f"Twilio error {code}: {line}" if code else f"Twilio: {line}"


#: Everything a Twilio call may raise that :func:`failure` understands.
TWILIO_ERRORS = (TwilioException, RequestException)
