"""Whole of ClassGuard with the shipped classifier: a real judgement, through each adapter.

The adapters' own tests use a keyword classifier so that they test the adapter
alone; these show the same promises hold with the model that ships.
"""

from __future__ import annotations

import pytest

from classifiers.classifier import ClassGuardClassifier
from config.schema import Mode
from storage.repository import IncidentLog
from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import GROUP_ID, MODERATORS_CHAT, PARENT, Running, say, school
from tests.whatsapp_support import ENFORCE_GROUP, PRIYA, running_app
from tests.whatsapp_support import PARENT as WHATSAPP_PARENT

HOOK = "/webhooks/twilio/conversations"
THREAT = "Tom if you message me again about my kid I will come round to yours and sort you out"
BENIGN = "Does anyone know what time the disco finishes on Friday?"


@pytest.fixture(scope="module")
def classifier() -> ClassGuardClassifier:
    return ClassGuardClassifier()


async def test_whatsapp_enforce_group_refuses_a_threat_and_passes_a_benign_message(
    incident_log: IncidentLog, classifier: ClassGuardClassifier
) -> None:
    async with running_app(incident_log, classifier) as app:
        response = await app.post(HOOK, app.group_message("onMessageAdd", THREAT))
        assert 400 <= response.status_code < 500
        benign = await app.post(HOOK, app.group_message("onMessageAdd", BENIGN))
        assert benign.status_code == 200 and benign.json() == {}
        [incident] = incident_log.incidents()
        assert incident.group_id == ENFORCE_GROUP and "threat" in incident.categories
        await app.deliver()
        assert len(app.fake.sent_to(WHATSAPP_PARENT)) == 1
        assert len(app.fake.sent_to(PRIYA)) == 1


async def test_telegram_enforce_group_deletes_a_threat_and_warns_privately(
    fake: FakeTelegram, incident_log: IncidentLog, classifier: ClassGuardClassifier
) -> None:
    async with Running(fake, school(Mode.ENFORCE), incident_log, classifier=classifier) as bot:
        threat = say(fake, THREAT)
        say(fake, BENIGN)
        await bot.settle()
    deleted = fake.of("deleteMessage", GROUP_ID)
    assert [d.params["message_id"] for d in deleted] == [threat["message_id"]]
    assert len(fake.of("sendMessage", PARENT["id"])) == 1
    assert len(fake.of("sendMessage", MODERATORS_CHAT)) == 1
    [incident] = incident_log.incidents()
    assert "threat" in incident.categories
