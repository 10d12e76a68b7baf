"""Twilio Conversations webhooks over real HTTP: signatures, refusals, one incident a message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.whatsapp import webapp
from bot.whatsapp.events import parse_event
from bot.whatsapp.ledger import MessageLedger
from classifiers.judgement import Judgement
from storage.models import MessageCount, WhatsAppMessage
from storage.repository import IncidentLog
from tests.support import KeywordClassifier
from tests.whatsapp_support import (
    ENFORCE_GROUP,
    PARENT,
    PRIYA,
    PUBLIC,
    SCHOOL_NUMBER,
    WARN_GROUP,
    Harness,
    running_app,
    signature,
)

HOOK = "/webhooks/twilio/conversations"


@pytest.fixture
async def app(incident_log: IncidentLog) -> AsyncIterator[Harness]:
    async with running_app(incident_log) as harness:
        yield harness


def message_total(log: IncidentLog) -> int:
    with log.sessions() as session:
        return sum(c.total for c in session.scalars(select(MessageCount)))


async def test_an_unsigned_request_is_refused_and_nothing_is_processed(app: Harness) -> None:
    form = app.group_message("onMessageAdd", "I will hurt you")
    response = await app.post(HOOK, form, sign=False)
    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.json()["error"]
    assert app.log.incidents() == [] and app.log.outbox() == []
    assert message_total(app.log) == 0
    assert app.fake.calls == []


async def test_forged_signatures_are_refused(app: Harness) -> None:
    form = app.group_message("onMessageAdd", "I will hurt you")
    wrong_key = await app.post(HOOK, form, token="not-the-auth-token-0000000000000")
    assert wrong_key.status_code == 403
    signed = app.group_message("onMessageAdd", "See you at the disco")
    tampered = {**signed, "Body": "I will hurt you"}
    header = {"X-Twilio-Signature": signature(PUBLIC + HOOK, signed)}
    response = await app.post(HOOK, tampered, sign=False, headers=header)
    assert response.status_code == 403
    other_url = {"X-Twilio-Signature": signature("https://elsewhere.example" + HOOK, tampered)}
    response = await app.post(HOOK, tampered, sign=False, headers=other_url)
    assert response.status_code == 403
    assert app.log.incidents() == [] and message_total(app.log) == 0


async def test_a_threat_in_an_enforce_group_is_refused_and_acted_on(app: Harness) -> None:
    form = app.group_message("onMessageAdd", "If you say that again I will hurt you")
    response = await app.post(HOOK, form)
    assert response.status_code == 403
    [incident] = app.log.incidents()
    assert incident.platform == "whatsapp" and incident.group_id == ENFORCE_GROUP
    assert incident.categories == ["threat"] and incident.clause_id == "2.2"
    assert incident.person.display_name == "Dan Smith"
    assert incident.message_ref.startswith("pre-")

    stats = await app.deliver()
    assert stats.failed == 0 and stats.retrying == 0
    [warning] = app.fake.sent_to(PARENT)
    assert warning.get("From") == SCHOOL_NUMBER
    body = warning.get("Body") or ""
    assert "Hello Dan Smith" in body and "section 2.2 (No threats or intimidation)" in body
    assert f"APPEAL {incident.id}" in body
    [alert] = app.fake.sent_to(PRIYA)
    alert_body = alert.get("Body") or ""
    assert alert_body.startswith("URGENT: Year 5 Parents (Rowan Class)")
    assert f"FP {incident.id}" in alert_body and "Dan Smith" in alert_body
    assert [i.kind for i in app.slt.items] == ["escalate_to_slt"]
    assert app.fake.calls_to("DELETE", "/Messages/") == []  # never published: nothing to delete


async def test_a_benign_message_gets_200_and_an_empty_json_object(app: Harness) -> None:
    response = await app.post(
        HOOK, app.group_message("onMessageAdd", "See you all at the disco on Friday!")
    )
    assert response.status_code == 200 and response.json() == {}
    assert app.log.incidents() == [] and message_total(app.log) == 1


class SlowClassifier(KeywordClassifier):
    """Judges like the keyword classifier, but only after a pause."""

    def judge_many(self, *args: Any, **kwargs: Any) -> list[Judgement]:
        time.sleep(0.5)
        return super().judge_many(*args, **kwargs)


async def test_a_judge_slower_than_twilios_budget_lets_the_message_through_and_still_records_it(
    incident_log: IncidentLog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(webapp, "PRE_EVENT_BUDGET", 0.05)
    async with running_app(incident_log, SlowClassifier()) as app:
        form = app.group_message("onMessageAdd", "If you say that again I will hurt you")
        response = await app.post(HOOK, form)
        assert response.status_code == 200 and response.json() == {}  # Twilio publishes it
        assert "the message was let through" in caplog.text
        for _ in range(100):  # judging goes on in its thread and records the threat
            if app.log.incidents():
                break
            await asyncio.sleep(0.05)
        [incident] = app.log.incidents()
        assert incident.categories == ["threat"]


async def test_a_medium_breach_in_an_enforce_group_passes_and_is_recorded_once(
    app: Harness,
) -> None:
    pre = app.group_message("onMessageAdd", "Honestly you are an idiot")
    response = await app.post(HOOK, pre)
    assert response.status_code == 200 and response.json() == {}
    [incident] = app.log.incidents()
    post = app.group_message("onMessageAdded", "Honestly you are an idiot")
    assert (await app.post(HOOK, post)).status_code == 200
    assert (await app.post(HOOK, post)).status_code == 200  # Twilio delivered it twice
    assert [i.id for i in app.log.incidents()] == [incident.id]
    assert MessageLedger(app.log).by_sid(post["MessageSid"]) is not None
    assert message_total(app.log) == 1


async def test_an_acceptable_message_is_counted_once_across_both_webhooks(app: Harness) -> None:
    await app.post(HOOK, app.group_message("onMessageAdd", "Lovely assembly today"))
    await app.post(HOOK, app.group_message("onMessageAdded", "Lovely assembly today"))
    assert message_total(app.log) == 1


async def test_in_a_warn_group_the_post_event_judges_and_a_duplicate_is_one_incident(
    app: Harness,
) -> None:
    pre = app.group_message("onMessageAdd", "I will hurt you", conversation=WARN_GROUP)
    response = await app.post(HOOK, pre)
    assert response.status_code == 200 and response.json() == {}
    assert app.log.incidents() == []
    post = app.group_message("onMessageAdded", "I will hurt you", conversation=WARN_GROUP)
    for _ in range(2):
        response = await app.post(HOOK, post)
        assert response.status_code == 200
    [incident] = app.log.incidents()
    assert incident.message_ref == post["MessageSid"] and incident.mode == "warn"
    assert len([o for o in app.log.outbox() if o.kind == "warn_privately"]) == 1


async def test_the_same_words_sent_again_later_are_a_new_breach(app: Harness) -> None:
    for _ in range(2):
        response = await app.post(HOOK, app.group_message("onMessageAdd", "I will hurt you"))
        assert response.status_code == 403
    first, second = app.log.incidents()
    assert (first.strike, second.strike) == (1, 1)


async def test_a_retried_pre_event_gets_the_same_answer_and_no_second_incident(
    app: Harness,
) -> None:
    form = app.group_message("onMessageAdd", "I will hurt you")
    token = {"I-Twilio-Idempotency-Token": "idem-1234"}
    assert (await app.post(HOOK, form, headers=token)).status_code == 403
    assert (await app.post(HOOK, form, headers=token)).status_code == 403
    retry = {**form, "RetryCount": "1"}
    assert (await app.post(HOOK, retry)).status_code == 403
    assert len(app.log.incidents()) == 1


async def test_messages_outside_configured_groups_or_from_staff_tools_pass(
    app: Harness,
) -> None:
    unknown = app.group_message("onMessageAdd", "I will hurt you", conversation="CH" + "c" * 32)
    staff = app.group_message("onMessageAdd", "I will hurt you", author="system")
    other_event = {**app.group_message("onMessageAdd", "x"), "EventType": "onParticipantAdded"}
    for form in (unknown, staff, other_event):
        response = await app.post(HOOK, form)
        assert response.status_code == 200 and response.json() == {}
    assert app.log.incidents() == []


async def test_a_malformed_event_is_a_one_line_error(app: Harness) -> None:
    form = {**app.group_message("onMessageAdd", "hello"), "ConversationSid": "nonsense"}
    response = await app.post(HOOK, form)
    assert response.status_code == 400
    assert response.json() == {"error": "ConversationSid is missing or malformed"}
    media = {**app.group_message("onMessageAdd", ""), "Media": "{not json"}
    assert (await app.post(HOOK, media)).status_code == 400


async def test_an_oversized_request_is_refused_unread(app: Harness) -> None:
    form = app.group_message("onMessageAdd", "x" * 70_000)
    response = await app.post(HOOK, form)
    assert response.status_code == 413
    assert app.log.incidents() == []


async def test_a_photo_without_words_is_judged_as_media(app: Harness) -> None:
    media = '[{"Sid": "ME' + "d" * 32 + '", "ContentType": "image/jpeg", "Size": 1234}]'
    response = await app.post(HOOK, app.group_message("onMessageAdd", "", Media=media))
    assert response.status_code == 200 and response.json() == {}
    assert message_total(app.log) == 1


async def test_the_health_check_answers(app: Harness) -> None:
    response = await app.http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_the_ledger_forgets_acceptable_messages_after_a_day(app: Harness) -> None:
    await app.post(HOOK, app.group_message("onMessageAdd", "Lovely assembly today"))
    await app.post(HOOK, app.group_message("onMessageAdd", "I will hurt you"))
    ledger = MessageLedger(app.log)
    later = datetime.now(UTC) + timedelta(days=2)
    assert ledger.purge(later, timedelta(days=365)) == 1
    with app.log.sessions() as session:
        [kept] = session.scalars(select(WhatsAppMessage)).all()
    assert kept.incident_id is not None and kept.blocked
    assert ledger.purge(later + timedelta(days=400), timedelta(days=365)) == 1


async def test_a_refusal_that_came_too_late_removes_the_published_message(app: Harness) -> None:
    pre = app.group_message("onMessageAdd", "I will hurt you")
    assert (await app.post(HOOK, pre)).status_code == 403
    # Twilio stopped waiting before the refusal arrived, and published the message.
    post = app.group_message("onMessageAdded", "I will hurt you")
    assert (await app.post(HOOK, post)).status_code == 200
    [incident] = app.log.incidents()
    await app.deliver()
    [deletion] = app.fake.calls_to("DELETE", "/Messages/")
    assert deletion.path.endswith(f"/Messages/{post['MessageSid']}")
    assert len(app.log.incidents()) == 1 and incident.strike == 1


async def test_an_old_refusal_is_never_matched_to_a_new_message(app: Harness) -> None:
    form = app.group_message("onMessageAdd", "I will hurt you")
    assert (await app.post(HOOK, form)).status_code == 403
    ledger = MessageLedger(app.log)
    event = parse_event(app.group_message("onMessageAdded", "I will hurt you"))
    assert event.message_sid is not None
    key = ledger.content_key(event)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert ledger.claim(ENFORCE_GROUP, key, event.message_sid, later) is None
