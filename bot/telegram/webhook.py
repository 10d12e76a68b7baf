"""Webhook mode: Telegram posts updates to us, authenticated by its ``secret_token``.

A request without the secret is refused (403) and a malformed one rejected
(400) without touching anything. An update is answered 200 only once handled,
so Telegram delivers it again if ClassGuard fails or stops first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.telegram.updates import ALLOWED_UPDATES, UpdateHandling

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Far above any real update; anything larger is not from Telegram.
LARGEST_UPDATE = 1024 * 1024


def webhook_path(webhook_url: str) -> str:
    """The local path Telegram's requests arrive on (the public URL's path)."""
    return urlsplit(webhook_url).path or "/"


class OwnSignalsServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to ``classguard run``."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookEndpoint:
    """The Starlette endpoint that receives Telegram's updates."""

    def __init__(self, handling: UpdateHandling, secret: str) -> None:
        self.handling = handling
        self.secret = secret.encode()
        #: Updates are handled one at a time, in the order they arrive.
        self.lock = asyncio.Lock()

    async def receive(self, request: Request) -> Response:
        """Authenticate, parse, handle; the status tells Telegram whether to send it again."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("refused a webhook request without the right secret token")
            return PlainTextResponse("forbidden", status_code=403)
        body = await request.body()
        if len(body) > LARGEST_UPDATE:
            return PlainTextResponse("update too large", status_code=413)
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.handling.app.bot)
        except Exception as exc:  # whatever is wrong with it, it is not an update we can use
            log.warning("rejected a malformed webhook update: %s", type(exc).__name__)
            return PlainTextResponse("malformed update", status_code=400)
        async with self.lock:
            done = await self.handling.handle(update)
        if not done:
            return PlainTextResponse("try again later", status_code=503)
        return PlainTextResponse("ok")


class WebhookServer:
    """Registers the webhook with Telegram and serves it until stopped."""

    def __init__(
        self, handling: UpdateHandling, *, url: str, secret: str, listen: str, port: int
    ) -> None:
        self.handling = handling
        self.url = url
        self.secret = secret
        endpoint = WebhookEndpoint(handling, secret)
        app = Starlette(routes=[Route(webhook_path(url), endpoint.receive, methods=["POST"])])
        config = uvicorn.Config(
            app, host=listen, port=port, log_level="warning", access_log=False, lifespan="off"
        )
        self.server = OwnSignalsServer(config)

    async def run(self, stop: asyncio.Event) -> None:
        """Tell Telegram where to post, then serve until ``stop`` is set.

        The webhook stays registered when ClassGuard stops: Telegram keeps the
        updates and delivers them when it is back.
        """
        await self.handling.app.bot.set_webhook(
            self.url,
            secret_token=self.secret,
            allowed_updates=list(ALLOWED_UPDATES),
            max_connections=1,
        )
        serving = asyncio.ensure_future(self.server.serve())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        self.server.should_exit = True
        stopping.cancel()
        await serving
