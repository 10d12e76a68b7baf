"""The Telegram secrets and endpoints, read from the environment only."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
API_BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
WEBHOOK_SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"

PUBLIC_API = "https://api.telegram.org"
#: Telegram's rule for a webhook's secret token.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramEnvError(Exception):
    """A Telegram variable is set but unusable; the message says which and why."""


@dataclass(frozen=True)
class TelegramEnv:
    """Where the Bot API is and how to authenticate to it and to our webhook.

    ``api_root`` is the Bot API server's root, ``https://api.telegram.org`` or a
    self-hosted ``telegram-bot-api`` (``TELEGRAM_API_BASE_URL=http://localhost:8081``).
    """

    token: str
    api_root: str = PUBLIC_API
    webhook_secret: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> TelegramEnv | None:
        """The Telegram settings, or ``None`` when ``TELEGRAM_BOT_TOKEN`` is not set."""
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            return None
        if ":" not in token or any(c.isspace() for c in token):
            raise TelegramEnvError(f"{TOKEN_ENV} does not look like a token from @BotFather")
        root = env.get(API_BASE_URL_ENV, "").strip().rstrip("/") or PUBLIC_API
        root = root.removesuffix("/bot")
        if not root.startswith(("http://", "https://")):
            raise TelegramEnvError(f"{API_BASE_URL_ENV} must start with http:// or https://")
        secret = env.get(WEBHOOK_SECRET_ENV, "").strip() or secrets.token_urlsafe(32)
        if not SECRET_PATTERN.match(secret):
            raise TelegramEnvError(
                f"{WEBHOOK_SECRET_ENV} may only contain letters, digits, _ and - (1-256 of them)"
            )
        return cls(token=token, api_root=root, webhook_secret=secret)

    @property
    def base_url(self) -> str:
        """The method endpoint prefix python-telegram-bot appends the token to."""
        return f"{self.api_root}/bot"

    @property
    def base_file_url(self) -> str:
        """The file download prefix python-telegram-bot appends the token to."""
        return f"{self.api_root}/file/bot"

    def scrub(self, text: str) -> str:
        """``text`` with the token blanked out, for error messages shown to people."""
        return text.replace(self.token, "<token>")
