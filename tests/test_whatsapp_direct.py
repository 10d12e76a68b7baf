"""One-to-one messages to the school's number: moderators' replies, appeals, help and reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import httpx
import pytest

from moderation.cases import CaseBook, CaseState
from storage.repository import IncidentLog
from tests.whatsapp_support import (
    ENFORCE_GROUP,
    OTHER_PARENT,
    PARENT,
    PRIYA,
    TOM,
    Harness,
    running_app,
)

HOOK = "/webhooks/twilio/messaging"
GROUP_HOOK = "/webhooks/twilio/conversations"


@pytest.fixture
async def app(incident_log: IncidentLog) -> AsyncIterator[Harness]:
    async with running_app(incident_log) as harness:
        yield harness


def reply_of(response: httpx.Response) -> str:
    """The text of the TwiML reply."""
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return "\n".join(m.text or "" for m in root.iter("Message"))


async def breach(app: Harness, text: str = "You absolute idiot") -> int:
    """A parent's breach in the enforce group (let through: medium); returns the case number."""
    response = await app.post(GROUP_HOOK, app.group_message("onMessageAdd", text))
    assert response.status_code in (200, 403)
    return app.log.incidents()[-1].id


async def test_a_moderators_fp_reply_acts_on_the_case(app: Harness) -> None:
    case = await breach(app)
    reply = reply_of(await app.post(HOOK, app.direct_message(f"FP {case}", sender=PRIYA)))
    assert reply == f"Case #{case} is marked a mistake; it no longer counts against Dan Smith."
    found = CaseBook(app.log).get(case)
    assert found.state is CaseState.FALSE_POSITIVE and not found.strike_counts
    assert found.incident.events[-1].actor == "Priya (class rep) (WhatsApp)"


async def test_a_moderator_confirms_with_a_hash_and_lower_case(app: Harness) -> None:
    case = await breach(app)
    reply = reply_of(await app.post(HOOK, app.direct_message(f"confirm #{case}", sender=PRIYA)))
    assert reply == f"Case #{case} is confirmed."
    assert CaseBook(app.log).get(case).state is CaseState.CONFIRMED


async def test_a_moderators_remove_takes_the_parent_out_of_the_group(app: Harness) -> None:
    case = await breach(app)
    reply = reply_of(await app.post(HOOK, app.direct_message(f"REMOVE {case}", sender=PRIYA)))
    assert reply == (
        f"Dan Smith has been removed from Year 5 Parents (Rowan Class); case #{case} is actioned."
    )
    [removal] = app.fake.calls_to("DELETE", "/Participants/")
    assert removal.path.endswith(app.parent_participant)
    assert PARENT not in [
        p["messaging_binding"]["address"]
        for p in app.fake.conversations[ENFORCE_GROUP].participants.values()
    ]
    assert CaseBook(app.log).get(case).state is CaseState.ACTIONED
    again = reply_of(await app.post(HOOK, app.direct_message(f"REMOVE {case}", sender=PRIYA)))
    assert again == f"Case #{case} is actioned, so nobody is removed."


async def test_a_parents_fp_reply_is_refused_politely(app: Harness) -> None:
    case = await breach(app)
    for command in (f"FP {case}", f"REMOVE {case}", f"CONFIRM {case}"):
        reply = reply_of(await app.post(HOOK, app.direct_message(command, sender=PARENT)))
        assert reply.startswith("Sorry, only the group's moderators can do that.")
        assert "APPEAL" in reply
    assert CaseBook(app.log).get(case).state is CaseState.OPEN
    assert app.fake.calls_to("DELETE", "/Participants/") == []


async def test_a_moderator_of_another_group_cannot_act_on_the_case(app: Harness) -> None:
    case = await breach(app)
    reply = reply_of(await app.post(HOOK, app.direct_message(f"FP {case}", sender=TOM)))
    assert reply == f"Sorry, case #{case} is not in a group you moderate."
    assert CaseBook(app.log).get(case).state is CaseState.OPEN


async def test_moderator_commands_explain_missing_or_unknown_cases(app: Harness) -> None:
    assert reply_of(await app.post(HOOK, app.direct_message("FP", sender=PRIYA))) == (
        "Please add the case number, for example: FP 12"
    )
    assert reply_of(await app.post(HOOK, app.direct_message("FP 999", sender=PRIYA))) == (
        "Sorry, there is no case #999."
    )
    case = await breach(app)
    await app.post(HOOK, app.direct_message(f"FP {case}", sender=PRIYA))
    reply = reply_of(await app.post(HOOK, app.direct_message(f"CONFIRM {case}", sender=PRIYA)))
    assert reply == f"Sorry, case #{case} is false_positive and cannot become confirmed."


async def test_a_parent_appeals_their_own_case_and_the_moderators_hear(app: Harness) -> None:
    case = await breach(app)
    message = app.direct_message(f"APPEAL {case} I meant the referee, not a parent")
    reply = reply_of(await app.post(HOOK, message))
    assert reply.startswith(f"Thank you. Your appeal on case #{case} is with the group's")
    events = CaseBook(app.log).get(case).incident.events
    assert (events[-1].kind, events[-1].note) == ("appeal", "I meant the referee, not a parent")
    await app.deliver()
    alerts = [c.get("Body") or "" for c in app.fake.sent_to(PRIYA)]
    assert any(
        f"Dan Smith appeals against case #{case} in Year 5 Parents (Rowan Class)" in a
        and "I meant the referee" in a
        and f"FP {case}" in a
        for a in alerts
    )


async def test_nobody_can_appeal_someone_elses_case(app: Harness) -> None:
    case = await breach(app)
    reply = reply_of(
        await app.post(HOOK, app.direct_message(f"APPEAL {case} unfair", sender=OTHER_PARENT))
    )
    assert reply.startswith(f"I cannot find a case #{case} about you.")
    assert [e.kind for e in CaseBook(app.log).get(case).incident.events] == ["opened"]


async def test_help_policy_and_anything_else(app: Harness) -> None:
    parent_help = reply_of(await app.post(HOOK, app.direct_message("help")))
    assert "APPEAL" in parent_help and "POLICY" in parent_help and "REMOVE" not in parent_help
    moderator_help = reply_of(await app.post(HOOK, app.direct_message("HELP", sender=PRIYA)))
    assert "REMOVE and a case number" in moderator_help
    policy = reply_of(await app.post(HOOK, app.direct_message("Policy")))
    assert "2.2 No threats or intimidation" in policy
    assert "https://oakfield.example.sch.uk/policies/parent-code-of-conduct" in policy
    hello = reply_of(await app.post(HOOK, app.direct_message("Hi, is school open tomorrow?")))
    assert (
        hello == "This is ClassGuard for Oakfield Primary School. Reply HELP to see what I can do."
    )


async def test_a_forwarded_message_is_a_report_to_the_senders_groups(app: Harness) -> None:
    message = app.direct_message("I will hurt you if you park there again", Forwarded="true")
    reply = reply_of(await app.post(HOOK, message, sign=True))
    assert reply == (
        "Thank you for reporting this. The moderators of Year 5 Parents (Rowan Class) "
        "will look at it."
    )
    await app.deliver()
    [alert] = app.fake.sent_to(PRIYA)
    body = alert.get("Body") or ""
    assert body.startswith("Year 5 Parents (Rowan Class): Dan Smith forwarded this message")
    assert "section 2.2 (No threats or intimidation), severity critical" in body
    assert app.log.incidents() == []  # the author is unknown: a report, not a strike


async def test_a_report_from_someone_in_no_group_goes_to_the_office(app: Harness) -> None:
    stranger = "whatsapp:+447911123457"
    message = app.direct_message("look at this", sender=stranger, Forwarded="true")
    reply = reply_of(await app.post(HOOK, message))
    assert "School office, 01632 960 123" in reply
    assert app.log.outbox() == []


async def test_unsigned_or_malformed_direct_messages_are_refused(app: Harness) -> None:
    case = await breach(app)
    unsigned = await app.post(HOOK, app.direct_message(f"FP {case}", sender=PRIYA), sign=False)
    assert unsigned.status_code == 403
    assert CaseBook(app.log).get(case).state is CaseState.OPEN
    sms = {**app.direct_message("HELP"), "From": "+447911123456"}
    response = await app.post(HOOK, sms)
    assert response.status_code == 400 and response.json() == {
        "error": "From is not a WhatsApp address"
    }
