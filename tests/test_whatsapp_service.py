"""``classguard run``'s WhatsApp service: webhooks under uvicorn and the outbox, end to end."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.commands.run import serve, services_for
from bot.outbox_worker import route
from bot.services import SetupError
from bot.whatsapp.service import WhatsAppService
from storage.models import OutboxItem
from storage.repository import IncidentLog
from tests.fake_twilio import FakeTwilio
from tests.support import KeywordClassifier
from tests.whatsapp_support import (
    ACCOUNT,
    ENFORCE_GROUP,
    ENV,
    GROUP_NUMBER,
    PARENT,
    PRIYA,
    PUBLIC,
    SERVICE,
    signature,
    whatsapp_settings,
)

HOOK = "/webhooks/twilio/conversations"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    twilio = FakeTwilio().start()
    twilio.add_conversation(ENFORCE_GROUP, "Year 5 Parents (Rowan Class)")
    twilio.add_participant(ENFORCE_GROUP, PARENT, "Dan Smith", GROUP_NUMBER)
    yield twilio
    twilio.stop()


def service(
    log: IncidentLog, fake: FakeTwilio, port: int, dry_run: bool = False
) -> WhatsAppService:
    return WhatsAppService(
        whatsapp_settings(),
        log,
        KeywordClassifier(),
        host="127.0.0.1",
        port=port,
        dry_run=dry_run,
        http_client=fake.http_client(),
        env=ENV,
    )


@contextlib.asynccontextmanager
async def running(whatsapp: WhatsAppService, log: IncidentLog) -> AsyncIterator[httpx.AsyncClient]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve([whatsapp], log, stop, interval=0.05))
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{whatsapp.port}", trust_env=False, timeout=5
    ) as client:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    break
            await asyncio.sleep(0.02)
        try:
            yield client
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


def threat(fake: FakeTwilio) -> dict[str, str]:
    [participant] = fake.conversations[ENFORCE_GROUP].participants
    return {
        "EventType": "onMessageAdd",
        "AccountSid": ACCOUNT,
        "ChatServiceSid": SERVICE,
        "ConversationSid": ENFORCE_GROUP,
        "ParticipantSid": participant,
        "Author": PARENT,
        "Body": "I will hurt you",
        "RetryCount": "0",
    }


def whatsapp_items(log: IncidentLog) -> list[OutboxItem]:
    """Outbox items for the WhatsApp channel (SLT escalations have a channel of their own)."""
    return [o for o in log.outbox() if route(o) == "whatsapp"]


async def wait_for_sends(fake: FakeTwilio, count: int) -> None:
    for _ in range(300):
        if len(fake.sent()) >= count:
            return
        await asyncio.sleep(0.02)


async def test_run_serves_the_webhooks_and_delivers_through_the_outbox(
    incident_log: IncidentLog, fake: FakeTwilio
) -> None:
    whatsapp = service(incident_log, fake, free_port())
    async with running(whatsapp, incident_log) as client:
        form = threat(fake)
        header = {"X-Twilio-Signature": signature(PUBLIC + HOOK, form)}
        response = await client.post(HOOK, data=form, headers=header)
        assert response.status_code == 403
        await wait_for_sends(fake, 2)
    assert len(fake.sent_to(PARENT)) == 1 and len(fake.sent_to(PRIYA)) == 1
    assert {o.status for o in whatsapp_items(incident_log)} == {"sent"}


async def test_a_dry_run_judges_and_records_but_refuses_and_sends_nothing(
    incident_log: IncidentLog, fake: FakeTwilio
) -> None:
    whatsapp = service(incident_log, fake, free_port(), dry_run=True)
    async with running(whatsapp, incident_log) as client:
        form = threat(fake)
        header = {"X-Twilio-Signature": signature(PUBLIC + HOOK, form)}
        response = await client.post(HOOK, data=form, headers=header)
        assert response.status_code == 200 and response.json() == {}
        for _ in range(300):
            if all(o.status == "sent" for o in whatsapp_items(incident_log)):
                break
            await asyncio.sleep(0.02)
        direct = {"From": PRIYA, "To": "whatsapp:+447911000100", "Body": "HELP", "NumMedia": "0"}
        header = {"X-Twilio-Signature": signature(PUBLIC + "/webhooks/twilio/messaging", direct)}
        response = await client.post("/webhooks/twilio/messaging", data=direct, headers=header)
        assert response.status_code == 200 and "<Message>" not in response.text
    assert len(incident_log.incidents()) == 1
    assert fake.sent() == []


async def test_a_port_in_use_is_a_one_line_setup_error(
    incident_log: IncidentLog, fake: FakeTwilio
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        whatsapp = service(incident_log, fake, taken.getsockname()[1])
        with pytest.raises(SetupError, match=r"cannot listen on 127\.0\.0\.1:"):
            await asyncio.wait_for(serve([whatsapp], incident_log, asyncio.Event()), 10)


async def test_missing_setup_is_a_one_line_error(incident_log: IncidentLog) -> None:
    settings = whatsapp_settings()
    no_sender = settings.model_copy(
        update={"whatsapp": settings.whatsapp.model_copy(update={"sender": None})}
    )
    whatsapp = WhatsAppService(no_sender, incident_log, KeywordClassifier(), env=ENV)
    with pytest.raises(SetupError, match=r"set whatsapp\.sender"):
        await whatsapp.start()
    bare = WhatsAppService(settings, incident_log, KeywordClassifier(), env={})
    with pytest.raises(SetupError, match="set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        await bare.start()


def test_run_adds_the_whatsapp_service_only_when_asked(incident_log: IncidentLog) -> None:
    settings = whatsapp_settings()
    assert services_for(settings, incident_log, KeywordClassifier()) == []
    [whatsapp] = services_for(settings, incident_log, KeywordClassifier(), whatsapp_port=9000)
    assert isinstance(whatsapp, WhatsAppService) and whatsapp.port == 9000
