"""The outbox's WhatsApp channel: warnings, alerts, the 24-hour window and its template."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.whatsapp.sender import split_text
from bot.whatsapp.service import whatsapp_channel
from config.schema import Moderator
from moderation.actions import AlertModerators
from storage.models import OutboxItem
from storage.repository import IncidentLog
from tests.fake_twilio import FakeTwilio
from tests.whatsapp_support import (
    ENFORCE_GROUP,
    ENV,
    PARENT,
    PRIYA,
    PUBLIC,
    SCHOOL_NUMBER,
    TEMPLATE,
    TOM,
    Harness,
    running_app,
    whatsapp_settings,
)

GROUP_HOOK = "/webhooks/twilio/conversations"
THREAT = "I will hurt you"


@pytest.fixture
async def app(incident_log: IncidentLog) -> AsyncIterator[Harness]:
    async with running_app(incident_log) as harness:
        yield harness


async def test_outside_the_window_the_warning_goes_as_the_template(app: Harness) -> None:
    app.fake.closed_windows.add(PARENT)
    assert (
        await app.post(GROUP_HOOK, app.group_message("onMessageAdd", THREAT))
    ).status_code == 403
    stats = await app.deliver()
    assert stats.failed == 0 and stats.retrying == 0
    refused, template = app.fake.sent_to(PARENT)
    assert refused.get("Body") and not refused.get("ContentSid")
    assert template.get("ContentSid") == TEMPLATE and template.get("Body") is None
    assert template.get("From") == SCHOOL_NUMBER
    variables = json.loads(template.get("ContentVariables") or "{}")
    assert variables["1"] == "Oakfield Primary School"
    assert variables["2"].startswith("Hello Dan Smith, This is ClassGuard")
    assert "\n" not in variables["2"] and len(variables["2"]) <= 900
    assert [o.status for o in app.log.outbox() if o.kind == "warn_privately"] == ["sent"]


async def test_without_a_template_a_closed_window_is_retried_with_a_clear_error(
    app: Harness,
) -> None:
    settings = app.pipeline.settings
    whatsapp = settings.whatsapp.model_copy(update={"template_content_sid": None})
    channel = app.channel_for(settings.model_copy(update={"whatsapp": whatsapp}))
    app.fake.closed_windows.add(PARENT)
    await app.post(GROUP_HOOK, app.group_message("onMessageAdd", THREAT))
    stats = await app.deliver(channel)
    assert stats.retrying == 1
    [warning] = [o for o in app.log.outbox() if o.kind == "warn_privately"]
    assert warning.status == "pending" and warning.recipient == PARENT
    assert "set whatsapp.template_content_sid" in (warning.last_error or "")


async def test_a_late_63016_report_resends_the_warning_as_the_template(app: Harness) -> None:
    await app.post(GROUP_HOOK, app.group_message("onMessageAdd", THREAT))
    await app.deliver()
    [freeform] = app.fake.sent_to(PARENT)
    callback = freeform.get("StatusCallback") or ""
    assert callback.startswith(f"{PUBLIC}/webhooks/twilio/status?items=")
    path = callback.removeprefix(PUBLIC)
    report = {
        "MessageSid": "SM" + "9" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "To": PARENT,
        "From": SCHOOL_NUMBER,
    }
    assert (await app.post(path, report, sign=False)).status_code == 403
    assert (await app.post(path, report)).status_code == 204
    await app.deliver()
    _, template = app.fake.sent_to(PARENT)
    assert template.get("ContentSid") == TEMPLATE
    assert "section 2.2" in json.loads(template.get("ContentVariables") or "{}")["2"]
    delivered = {**report, "MessageStatus": "delivered", "ErrorCode": ""}
    assert (await app.post(path, delivered)).status_code == 204
    assert (await app.post(path, report)).status_code == 204  # the same report twice
    await app.deliver()
    assert len(app.fake.sent_to(PARENT)) == 3


async def test_a_message_published_before_it_was_judged_is_deleted(app: Harness) -> None:
    post = app.group_message("onMessageAdded", THREAT)
    assert (await app.post(GROUP_HOOK, post)).status_code == 200
    [incident] = app.log.incidents()
    assert incident.message_ref == post["MessageSid"]
    await app.deliver()
    [deletion] = app.fake.calls_to("DELETE", "/Messages/")
    assert deletion.path.endswith(f"/Conversations/{ENFORCE_GROUP}/Messages/{post['MessageSid']}")


async def test_batched_alerts_go_as_one_message(app: Harness) -> None:
    now = datetime.now(UTC)
    with app.log.sessions.begin() as session:
        for text in ("first low alert", "second low alert"):
            session.add(
                OutboxItem(
                    created_at=now,
                    platform="whatsapp",
                    group_id=ENFORCE_GROUP,
                    kind="alert_moderators",
                    payload={**AlertModerators(text=text).to_payload(), "message_ref": None},
                    batch_key=f"whatsapp:{ENFORCE_GROUP}:moderators",
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    stats = await app.deliver()
    assert stats.sent == 2
    [alert] = app.fake.sent_to(PRIYA)
    assert alert.get("Body") == "first low alert\n\nsecond low alert"


async def test_one_moderators_bad_number_does_not_hold_up_the_others(
    app: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    settings = app.pipeline.settings
    groups = [
        g.model_copy(update={"moderators": [*g.moderators, Moderator(name="Tom", whatsapp=TOM)]})
        if g.chat_id == ENFORCE_GROUP
        else g
        for g in settings.groups
    ]
    channel = app.channel_for(settings.model_copy(update={"groups": groups}))
    app.fake.invalid_numbers.add(TOM)
    await app.post(GROUP_HOOK, app.group_message("onMessageAdd", THREAT))
    stats = await app.deliver(channel)
    assert stats.retrying == 0 and stats.failed == 0
    assert len(app.fake.sent_to(PRIYA)) == 1 and len(app.fake.sent_to(TOM)) == 1
    assert "Twilio error 21211" in caplog.text and "…0002" in caplog.text
    assert TOM.removeprefix("whatsapp:+") not in caplog.text  # numbers are never logged whole


async def test_the_channel_sends_through_a_messaging_service_when_configured(
    incident_log: IncidentLog,
) -> None:
    fake = FakeTwilio().start()
    try:
        settings = whatsapp_settings()
        service = "MG" + "4" * 32
        settings = settings.model_copy(
            update={
                "whatsapp": settings.whatsapp.model_copy(update={"messaging_service_sid": service})
            }
        )
        channel = whatsapp_channel(settings, incident_log, http_client=fake.http_client(), env=ENV)
        item = OutboxItem(
            id=1,
            platform="whatsapp",
            group_id=ENFORCE_GROUP,
            kind="warn_privately",
            recipient=PARENT,
            payload={"kind": "warn_privately", "text": "Hello", "message_ref": "pre-x"},
        )
        await channel.deliver(item, [])
        [sent] = fake.sent()
        assert sent.get("MessagingServiceSid") == service and sent.get("From") is None
    finally:
        fake.stop()


def test_long_texts_are_split_between_paragraphs() -> None:
    text = "\n\n".join(["a" * 900, "b" * 900, "c " * 1000])
    parts = split_text(text)
    assert all(len(p) <= 1600 for p in parts)
    assert parts[0] == "a" * 900 and parts[1] == "b" * 900
    assert "".join(parts).replace(" ", "") == text.replace("\n", "").replace(" ", "")
