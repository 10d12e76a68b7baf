"""The WhatsApp side of ``classguard run``: the webhook web app and the outbox channel.

:class:`WhatsAppService` follows ``run``'s service protocol: ``start`` wires
everything (and fails with one line if the setup is incomplete), ``run``
serves Twilio's webhooks under uvicorn until told to stop, and ``channels``
gives the outbox worker its ``whatsapp`` route.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from twilio.http import HttpClient

from bot.outbox_worker import Channel
from bot.services import SetupError
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.client import make_client
from bot.whatsapp.conversations import ClassGroups
from bot.whatsapp.credentials import (
    PUBLIC_URL_ENV,
    TwilioCredentials,
    WhatsAppSetupError,
    public_url,
)
from bot.whatsapp.desk import DirectDesk
from bot.whatsapp.judge import GroupJudge
from bot.whatsapp.ledger import MessageLedger
from bot.whatsapp.moderator_desk import ModeratorDesk
from bot.whatsapp.names import ParticipantNames
from bot.whatsapp.parent_desk import ParentDesk
from bot.whatsapp.sender import WhatsAppSender
from bot.whatsapp.signature import WebhookAuthenticator
from bot.whatsapp.webapp import WhatsAppServices, create_app
from classifiers.judgement import Classifier
from config.schema import Settings
from moderation.cases import CaseBook
from moderation.pipeline import Pipeline
from storage.repository import IncidentLog

log = logging.getLogger(__name__)

#: How often the ledger forgets what it no longer needs, in seconds.
PURGE_EVERY = 3600.0
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class WhatsAppParts:
    """Everything the WhatsApp side is made of, wired for one school."""

    services: WhatsAppServices
    channel: WhatsAppChannel
    ledger: MessageLedger


def _twilio_parts(
    settings: Settings, credentials: TwilioCredentials, http: HttpClient | None
) -> tuple[WhatsAppSender, ClassGroups | None]:
    client = make_client(credentials, http)
    sender = WhatsAppSender(client, settings)
    groups = ClassGroups(client, settings) if settings.whatsapp.conversations_service_sid else None
    return sender, groups


def whatsapp_channel(
    settings: Settings,
    log: IncidentLog,
    *,
    dry_run: bool = False,
    http_client: HttpClient | None = None,
    env: Mapping[str, str] | None = None,
) -> WhatsAppChannel:
    """The outbox channel for WhatsApp items, with the environment's credentials.

    Raises :class:`WhatsAppSetupError` when credentials or the school's number are missing.
    """
    sender, groups = _twilio_parts(settings, TwilioCredentials.from_env(env), http_client)
    return WhatsAppChannel(settings, log, sender, groups, public_url(env), dry_run=dry_run)


def build_whatsapp(
    settings: Settings,
    pipeline: Pipeline,
    *,
    dry_run: bool = False,
    http_client: HttpClient | None = None,
    env: Mapping[str, str] | None = None,
) -> WhatsAppParts:
    """Wire the web app's services and the outbox channel around one pipeline."""
    credentials = TwilioCredentials.from_env(env)
    url = public_url(env)
    sender, groups = _twilio_parts(settings, credentials, http_client)
    ledger = MessageLedger(pipeline.log)
    cases = CaseBook(pipeline.log, pipeline.clock)
    desk = DirectDesk(
        ModeratorDesk(settings, pipeline.log, cases, groups, dry_run=dry_run),
        ParentDesk(settings, pipeline.log, cases, groups, pipeline.classifier, pipeline.clock),
    )
    services = WhatsAppServices(
        judge=GroupJudge(
            pipeline, ledger, ParticipantNames(groups), pipeline.clock, dry_run=dry_run
        ),
        desk=desk,
        authenticator=WebhookAuthenticator(credentials, url),
        log=pipeline.log,
        dry_run=dry_run,
    )
    channel = WhatsAppChannel(settings, pipeline.log, sender, groups, url, dry_run=dry_run)
    return WhatsAppParts(services, channel, ledger)


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handlers: ``classguard run`` owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WhatsAppService:
    """Twilio's webhooks on ``host:port`` and the outbox's ``whatsapp`` channel."""

    name = "whatsapp"

    def __init__(
        self,
        settings: Settings,
        log_: IncidentLog,
        classifier: Classifier,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        dry_run: bool = False,
        http_client: HttpClient | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = Pipeline(settings, classifier, log_)
        self.host = host
        self.port = port
        self.dry_run = dry_run
        self.http_client = http_client
        self.env = env
        self.parts: WhatsAppParts | None = None

    async def start(self) -> None:
        """Wire everything; raises :class:`SetupError` naming what is missing."""
        try:
            self.parts = build_whatsapp(
                self.settings,
                self.pipeline,
                dry_run=self.dry_run,
                http_client=self.http_client,
                env=self.env,
            )
        except WhatsAppSetupError as exc:
            raise SetupError(str(exc)) from None
        # The classifier's first judgement loads its model: not on a parent's message.
        await asyncio.to_thread(self.pipeline.classifier.judge_many, ["Hello everyone"])
        if self.parts.services.authenticator.public_url is None:
            log.warning(
                "%s is not set: webhook signatures are checked against the address this app "
                "sees, which fails behind a reverse proxy",
                PUBLIC_URL_ENV,
            )

    def channels(self) -> dict[str, Channel]:
        """The ``whatsapp`` outbox channel."""
        if self.parts is None:
            raise RuntimeError("start the WhatsApp service before asking for its channels")
        return {"whatsapp": self.parts.channel}

    async def run(self, stop: asyncio.Event) -> None:
        """Serve the webhooks until ``stop`` is set; :class:`SetupError` if the port is taken."""
        if self.parts is None:
            raise RuntimeError("start the WhatsApp service before running it")
        config = uvicorn.Config(
            create_app(self.parts.services),
            host=self.host,
            port=self.port,
            lifespan="off",
            access_log=False,
            server_header=False,
            log_level="warning",
        )
        server = _Server(config)
        serving = asyncio.create_task(self._serve(server))
        purging = asyncio.create_task(self._purge_forever())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            server.should_exit = True
            for task in (purging, stopping):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(purging, stopping)
        await serving

    async def _serve(self, server: uvicorn.Server) -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits when it cannot open the port
            raise SetupError(
                f"cannot listen on {self.host}:{self.port} for WhatsApp webhooks "
                "(is the port in use? choose another with --port or PORT)"
            ) from None

    async def _purge_forever(self) -> None:
        assert self.parts is not None
        retention = timedelta(days=self.settings.school.retention_days)
        while True:
            try:
                await asyncio.to_thread(self.parts.ledger.purge, self.pipeline.clock(), retention)
            except Exception:  # a database hiccup must not stop the webhooks
                log.exception("purging the WhatsApp message ledger failed")
            await asyncio.sleep(PURGE_EVERY)
