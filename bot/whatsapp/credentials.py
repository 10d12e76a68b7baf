"""Twilio credentials and the public address, from the environment only."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ACCOUNT_SID_ENV = "TWILIO_ACCOUNT_SID"
AUTH_TOKEN_ENV = "TWILIO_AUTH_TOKEN"
#: Only for accounts whose Webhook Rules sign with a shared key instead of the auth token.
SHARED_KEY_ENV = "TWILIO_WEBHOOK_SHARED_KEY"
PUBLIC_URL_ENV = "CLASSGUARD_PUBLIC_URL"

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")


class WhatsAppSetupError(Exception):
    """WhatsApp cannot be used as configured; the message says what to fix, in one line."""


@dataclass(frozen=True)
class TwilioCredentials:
    """The account's SID and auth token (and webhook shared key, when there is one)."""

    account_sid: str
    auth_token: str = field(repr=False)
    shared_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwilioCredentials:
        """Read the credentials, or say which variable is missing or malformed."""
        env = os.environ if env is None else env
        sid = env.get(ACCOUNT_SID_ENV, "").strip()
        token = env.get(AUTH_TOKEN_ENV, "").strip()
        if not sid or not token:
            raise WhatsAppSetupError(f"set {ACCOUNT_SID_ENV} and {AUTH_TOKEN_ENV} to use WhatsApp")
        if not ACCOUNT_SID.match(sid):
            raise WhatsAppSetupError(f"{ACCOUNT_SID_ENV} must be an account SID (AC and 32 hex)")
        return cls(sid, token, env.get(SHARED_KEY_ENV, "").strip() or None)


def twilio_configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether Twilio credentials are set, i.e. whether the school uses WhatsApp."""
    env = os.environ if env is None else env
    return bool(env.get(ACCOUNT_SID_ENV, "").strip() and env.get(AUTH_TOKEN_ENV, "").strip())


def public_url(env: Mapping[str, str] | None = None) -> str | None:
    """``CLASSGUARD_PUBLIC_URL`` without a trailing slash: the address Twilio calls.

    Webhook signatures cover the exact URL Twilio requested, which a reverse proxy
    hides from the app, so the app rebuilds it from this.
    """
    env = os.environ if env is None else env
    raw = env.get(PUBLIC_URL_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise WhatsAppSetupError(
            f"{PUBLIC_URL_ENV} must be an address like https://classguard.example.sch.uk"
        )
    return raw.rstrip("/")
