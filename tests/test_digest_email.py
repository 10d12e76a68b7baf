"""Email delivery through a real SMTP server on 127.0.0.1 (STARTTLS, AUTH LOGIN)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import timedelta

import pytest
from PIL import Image

from bot.commands.run import serve
from bot.digest_render import CHART_CID, render_text
from bot.email import EmailChannel, EmailSetupError, SmtpSettings, email_channel_from_env
from bot.outbox_worker import DeliveryError, OutboxWorker
from bot.staff_channels import CompositeChannel, staff_channels
from moderation.digest import build_digest, queue_digest
from moderation.escalation import POLICE_ADVICE
from moderation.pipeline import Pipeline
from storage.models import OutboxItem
from storage.outbox import OutboxQueue
from storage.repository import IncidentLog
from tests.smtp_server import USER, SmtpServer, smtp_server_fixture  # noqa: F401
from tests.support import KeywordClassifier, message
from tests.test_digest import FRIDAY_4PM, SETTINGS, WEEK, at, seed

HEAD = "head@oakfield.example.sch.uk"
DSL = "dsl@oakfield.example.sch.uk"
OFFICE = "office@oakfield.example.sch.uk"


def channel(server: SmtpServer, password: str | None = None) -> EmailChannel:
    smtp = server.settings() if password is None else server.settings(password)
    return EmailChannel(SETTINGS, smtp, ssl_context=server.client_context)


def deliver_all(log: IncidentLog, channels: dict[str, EmailChannel]) -> None:
    worker = OutboxWorker(OutboxQueue(log), channels, clock=lambda: FRIDAY_4PM)
    asyncio.run(worker.run_once())


def test_digest_arrives_with_text_html_and_the_chart_inline(
    incident_log: IncidentLog, smtp_server: SmtpServer
) -> None:
    seed(incident_log)
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    item = queue_digest(incident_log, digest, render_text(digest), FRIDAY_4PM, scheduled=True)
    assert item is not None
    email = channel(smtp_server)
    worker = OutboxWorker(OutboxQueue(incident_log), {"slt": email}, clock=lambda: FRIDAY_4PM)
    asyncio.run(worker.run_once())  # the seeded warnings have no channel here; they wait

    subjects = sorted(r.message["Subject"] for r in smtp_server.received)
    assert len(subjects) == 3 and sum("needs senior leadership" in s for s in subjects) == 2
    (received,) = [r for r in smtp_server.received if "digest" in r.message["Subject"]]
    assert received.encrypted and received.login == USER
    assert received.recipients == [HEAD, DSL]
    mail = received.message
    assert mail["Subject"] == (
        "Oakfield Primary School: class groups digest for week 47 (16 to 22 November 2026)"
    )
    assert mail["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_type() for part in mail.walk()] == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "5 of 18 messages (28%) were flagged this week across 2 class groups" in plain
    assert "Case #" in plain and "Dan Smith: 3 breaches, 2 this week" in plain
    assert f'src="cid:{CHART_CID}"' in html.get_content()
    (png,) = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == f"<{CHART_CID}>"
    data = png.get_content()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        assert image.format == "PNG" and image.width > 1000
    (sent,) = [i for i in incident_log.outbox() if i.kind == "digest"]
    assert sent.status == "sent" and sent.attempts == 0


def test_escalation_carries_the_draft_letter_and_security_alerts_reach_the_office(
    incident_log: IncidentLog, smtp_server: SmtpServer
) -> None:
    pipe = Pipeline(SETTINGS, KeywordClassifier(), incident_log, clock=lambda: FRIDAY_4PM)
    for n, text in enumerate(("idiot", "useless teacher", "gate code is 4721")):
        decision = pipe.process(message(text, message_id=str(n), when=at(16 + n, 9)))
    assert decision.step == "meeting_letter"
    email = channel(smtp_server)
    deliver_all(incident_log, staff_channels(email=email))  # type: ignore[arg-type]

    assert len(smtp_server.received) == 2
    escalation, office = sorted(smtp_server.received, key=lambda r: r.recipients != [HEAD, DSL])
    assert escalation.message["Subject"].endswith("needs senior leadership")
    assert office.recipients == [OFFICE]
    assert office.message["Subject"].startswith("Oakfield Primary School: possible security")
    body = escalation.message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert f"case #{decision.incident_id} needs senior leadership" in text
    assert "DRAFT LETTER FOR YOU TO REVIEW" in text and "Invitation to a meeting" in text
    (letter,) = list(escalation.message.iter_attachments())
    assert str(letter.get_filename()).endswith("-draft-letter.txt")
    assert "Invitation to a meeting" in letter.get_content()


def test_emails_name_the_case_in_the_subject(smtp_server: SmtpServer) -> None:
    item = OutboxItem(
        id=7,
        incident_id=12,
        created_at=FRIDAY_4PM,
        kind="escalate_to_slt",
        payload={"text": "Case #12 needs you.", "letter": "Dear Dan,", "advice": POLICE_ADVICE},
    )
    mail = channel(smtp_server).compose(item)
    assert mail["Subject"] == (
        "Oakfield Primary School: case #12 needs senior leadership (consider police referral)"
    )
    assert mail["Message-ID"] == "<classguard.7.20261120160000@oakfield.example.sch.uk>"
    (letter,) = list(mail.iter_attachments())
    assert letter.get_filename() == "case-12-draft-letter.txt"
    office = OutboxItem(
        id=8,
        incident_id=12,
        created_at=FRIDAY_4PM,
        kind="alert_office",
        payload={"text": "Gate code shared."},
    )
    assert channel(smtp_server).compose(office)["Subject"] == (
        "Oakfield Primary School: possible security breach (case #12)"
    )
    with pytest.raises(DeliveryError, match="cannot deliver warn_privately"):
        channel(smtp_server).compose(OutboxItem(id=9, created_at=FRIDAY_4PM, kind="warn_privately"))


def test_a_refused_login_keeps_the_digest_queued_with_the_reason(
    incident_log: IncidentLog, smtp_server: SmtpServer
) -> None:
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    queue_digest(incident_log, digest, render_text(digest), FRIDAY_4PM, scheduled=True)
    deliver_all(incident_log, {"slt": channel(smtp_server, password="wrong")})
    (item,) = incident_log.outbox()
    assert item.status == "pending" and item.attempts == 1
    assert item.last_error == "the SMTP server refused the login (535)"
    assert "wrong" not in (item.last_error or "") and smtp_server.received == []
    deliver_all(incident_log, {"slt": channel(smtp_server)})  # not due yet: back-off
    assert smtp_server.received == []


def test_smtp_settings_come_from_the_environment(smtp_server: SmtpServer) -> None:
    assert SmtpSettings.from_env({}) is None
    settings = SmtpSettings.from_env(smtp_server.environ())
    assert settings == smtp_server.settings()
    assert "horse" not in repr(settings)
    assert email_channel_from_env(SETTINGS, {"SMTP_HOST": "mail", "SMTP_FROM": USER}) is not None
    with pytest.raises(EmailSetupError, match="SMTP_PORT"):
        SmtpSettings.from_env({"SMTP_HOST": "mail", "SMTP_FROM": USER, "SMTP_PORT": "smtp"})
    with pytest.raises(EmailSetupError, match="SMTP_FROM"):
        SmtpSettings.from_env({"SMTP_HOST": "mail"})
    with pytest.raises(EmailSetupError, match="SMTP_STARTTLS"):
        SmtpSettings.from_env({"SMTP_HOST": "mail", "SMTP_FROM": USER, "SMTP_STARTTLS": "maybe"})


class FlakyChannel:
    """A second SLT channel (as the Telegram chat would be) that fails the first time."""

    def __init__(self) -> None:
        self.calls = 0
        self.delivered: list[int] = []

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        self.calls += 1
        if self.calls == 1:
            raise DeliveryError("429 Too Many Requests", timedelta(seconds=40))
        self.delivered.append(item.id)


def test_slt_items_reach_email_and_telegram_once_each(
    incident_log: IncidentLog, smtp_server: SmtpServer
) -> None:
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    item = queue_digest(incident_log, digest, render_text(digest), FRIDAY_4PM, scheduled=True)
    assert item is not None
    telegram = FlakyChannel()
    channels = staff_channels(email=channel(smtp_server), telegram_slt=telegram)
    assert isinstance(channels["slt"], CompositeChannel)
    clock = [FRIDAY_4PM]
    worker = OutboxWorker(OutboxQueue(incident_log), channels, clock=lambda: clock[0])
    asyncio.run(worker.run_once())
    (waiting,) = incident_log.outbox()
    assert waiting.status == "pending" and waiting.last_error == "telegram: 429 Too Many Requests"
    assert waiting.next_attempt_at == FRIDAY_4PM + timedelta(seconds=40)
    clock[0] = FRIDAY_4PM + timedelta(minutes=1)
    asyncio.run(worker.run_once())
    (sent,) = incident_log.outbox()
    assert sent.status == "sent"
    assert len(smtp_server.received) == 1 and telegram.delivered == [item.id]


async def test_classguard_run_sends_slt_items_by_email(
    incident_log: IncidentLog, smtp_server: SmtpServer
) -> None:
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    queue_digest(incident_log, digest, render_text(digest), FRIDAY_4PM, scheduled=True)
    stop = asyncio.Event()

    async def stop_once_delivered() -> None:
        for _ in range(250):
            if smtp_server.received:
                break
            await asyncio.sleep(0.02)
        stop.set()

    await asyncio.gather(
        serve([], incident_log, stop, 0.05, channel(smtp_server)), stop_once_delivered()
    )
    assert len(smtp_server.received) == 1
    assert [i.status for i in incident_log.outbox()] == ["sent"]


async def test_a_dry_run_writes_the_email_but_sends_nothing(
    incident_log: IncidentLog, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    item = queue_digest(incident_log, digest, render_text(digest), FRIDAY_4PM, scheduled=True)
    assert item is not None
    dry = EmailChannel(SETTINGS, smtp_server.settings(), dry_run=True)
    with caplog.at_level("INFO", logger="bot.email"):
        await dry.deliver(item, [])
    assert smtp_server.received == []
    assert "dry run: would email 'Oakfield Primary School: class groups digest" in caplog.text
