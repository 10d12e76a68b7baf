"""Shared parts of the WhatsApp tests: a school with WhatsApp groups, signing, a running app."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from twilio.request_validator import RequestValidator

from bot.outbox_worker import DeliveryStats, OutboxWorker
from bot.whatsapp.channel import WhatsAppChannel
from bot.whatsapp.service import WhatsAppParts, build_whatsapp, whatsapp_channel
from bot.whatsapp.webapp import create_app
from classifiers.judgement import Classifier
from config.loader import load_settings
from config.schema import Settings
from moderation.pipeline import Pipeline
from storage.models import OutboxItem
from storage.outbox import OutboxQueue
from storage.repository import IncidentLog
from tests.fake_twilio import FakeTwilio, sid
from tests.support import KeywordClassifier

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "1" * 32
SERVICE = "IS" + "2" * 32
TEMPLATE = "HX" + "3" * 32
PUBLIC = "https://classguard.oakfield.example.sch.uk"
ENFORCE_GROUP = "CH" + "a" * 32
WARN_GROUP = "CH" + "b" * 32
SCHOOL_NUMBER = "whatsapp:+447911000100"
GROUP_NUMBER = "whatsapp:+447911000200"
PRIYA = "whatsapp:+447911000001"
TOM = "whatsapp:+447911000002"
PARENT = "whatsapp:+447911123456"
OTHER_PARENT = "whatsapp:+447911223344"

ENV = {
    "TWILIO_ACCOUNT_SID": ACCOUNT,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "CLASSGUARD_PUBLIC_URL": PUBLIC,
}


def whatsapp_settings() -> Settings:
    """The example school with an ``enforce`` and a ``warn`` WhatsApp class group."""
    data = load_settings().model_dump(mode="json")
    data["whatsapp"] = {
        "sender": "07911 000100",
        "conversations_service_sid": SERVICE,
        "group_sender": "+44 7911 000200",
        "template_content_sid": TEMPLATE,
    }
    data["groups"] += [
        {
            "platform": "whatsapp",
            "chat_id": ENFORCE_GROUP,
            "name": "Year 5 Parents (Rowan Class)",
            "mode": "enforce",
            "moderators": [
                {"name": "Priya (class rep)", "whatsapp": "07911 000001"},
                {"name": "Mr Jones", "email": "jones@oakfield.example.sch.uk"},
            ],
        },
        {
            "platform": "whatsapp",
            "chat_id": WARN_GROUP,
            "name": "Year 6 Parents (Elm Class)",
            "mode": "warn",
            "moderators": [{"name": "Tom (class rep)", "whatsapp": "+447911000002"}],
        },
    ]
    return Settings.model_validate(data)


def signature(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """``X-Twilio-Signature`` exactly as Twilio computes it."""
    return str(RequestValidator(token).compute_signature(url, dict(params)))


class RecordingChannel:
    """Stands in for the SLT and office channels, which are not WhatsApp's."""

    def __init__(self) -> None:
        self.items: list[OutboxItem] = []

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        self.items += [item, *batch]


@dataclass
class Harness:
    """The web app on real HTTP, its pipeline and database, and the fake Twilio."""

    fake: FakeTwilio
    log: IncidentLog
    pipeline: Pipeline
    parts: WhatsAppParts
    http: httpx.AsyncClient
    slt: RecordingChannel
    parent_participant: str

    async def post(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        sign: bool = True,
        token: str = AUTH_TOKEN,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """POST a form the way Twilio does, signed for the public URL unless told otherwise."""
        sent = dict(headers or {})
        if sign:
            sent["X-Twilio-Signature"] = signature(PUBLIC + path, params, token)
        return await self.http.post(path, data=dict(params), headers=sent)

    def group_message(
        self,
        event: str,
        body: str,
        *,
        author: str = PARENT,
        conversation: str = ENFORCE_GROUP,
        participant: str | None = None,
        **extra: str,
    ) -> dict[str, str]:
        """A Conversations message webhook's form."""
        form = {
            "EventType": event,
            "AccountSid": ACCOUNT,
            "ChatServiceSid": SERVICE,
            "ConversationSid": conversation,
            "ParticipantSid": participant or self.parent_participant,
            "Author": author,
            "Body": body,
            "Attributes": "{}",
            "Source": "WHATSAPP",
            "RetryCount": "0",
        }
        if event == "onMessageAdded":
            form |= {"MessageSid": sid("IM"), "Index": "7", "DateCreated": "2026-11-20T09:00:00Z"}
        return form | extra

    def direct_message(self, body: str, sender: str = PARENT, **extra: str) -> dict[str, str]:
        """An inbound one-to-one WhatsApp message webhook's form."""
        return {
            "MessageSid": sid("SM"),
            "AccountSid": ACCOUNT,
            "From": sender,
            "To": SCHOOL_NUMBER,
            "Body": body,
            "NumMedia": "0",
            "ProfileName": "Someone",
            "WaId": sender.removeprefix("whatsapp:+"),
        } | extra

    def channel_for(self, settings: Settings) -> WhatsAppChannel:
        """A WhatsApp channel for other settings, talking to the same fake Twilio."""
        return whatsapp_channel(settings, self.log, http_client=self.fake.http_client(), env=ENV)

    async def deliver(self, channel: WhatsAppChannel | None = None) -> DeliveryStats:
        """One pass of the outbox worker with the WhatsApp channel."""
        channels: dict[str, Any] = {
            "whatsapp": channel or self.parts.channel,
            "slt": self.slt,
            "office": self.slt,
        }
        return await OutboxWorker(OutboxQueue(self.log), channels).run_once()


@asynccontextmanager
async def running_app(
    log: IncidentLog, classifier: Classifier | None = None
) -> AsyncIterator[Harness]:
    """The WhatsApp web app served by uvicorn on 127.0.0.1, talking to a fake Twilio.

    The keyword classifier keeps the adapter's tests independent of the model's
    judgement; pass the shipped classifier to run the whole of ClassGuard.
    """
    fake = FakeTwilio().start()
    enforce = fake.add_conversation(ENFORCE_GROUP, "Year 5 Parents (Rowan Class)")
    fake.add_conversation(WARN_GROUP, "Year 6 Parents (Elm Class)")
    parent = fake.add_participant(enforce.sid, PARENT, "Dan Smith", GROUP_NUMBER)
    fake.add_participant(enforce.sid, OTHER_PARENT, "Karen Jones", GROUP_NUMBER)
    settings = whatsapp_settings()
    pipeline = Pipeline(settings, classifier or KeywordClassifier(), log)
    parts = build_whatsapp(settings, pipeline, http_client=fake.http_client(), env=ENV)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(parts.services), lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10)
    try:
        yield Harness(fake, log, pipeline, parts, client, RecordingChannel(), parent["sid"])
    finally:
        await client.aclose()
        server.should_exit = True
        await serving
        sock.close()
        fake.stop()
