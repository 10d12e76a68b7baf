"""The Telegram adapter against a fake Bot API: warnings, alerts, deletions and notices."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.outbox_worker import OutboxWorker
from config.schema import Mode
from storage.models import Incident, OutboxItem, PendingWarning
from storage.outbox import OutboxQueue
from storage.repository import IncidentLog
from tests.fake_telegram import BOT_USERNAME, FakeTelegram, group, private, user
from tests.telegram_harness import (
    GROUP,
    GROUP_ID,
    MODERATORS_CHAT,
    OTHER,
    PARENT,
    SLT_CHAT,
    Running,
    say,
    school,
)


def outbox(log: IncidentLog, kind: str) -> list[OutboxItem]:
    return [o for o in log.outbox() if o.kind == kind]


async def test_second_abusive_message_gives_one_private_warning_and_one_alert(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "You absolute idiot", date=int(time.time()) - 60)
        await bot.settle()
        assert len(fake.of("sendMessage", PARENT["id"])) == 1  # first breach: a private word
        assert fake.of("sendMessage", MODERATORS_CHAT) == []
        second = say(fake, "Still an idiot")
        await bot.settle()
    warnings = fake.of("sendMessage", PARENT["id"])
    assert len(warnings) == 2
    assert "section 2.1 (Respectful language)" in warnings[1].text
    assert "Dan Smith" in warnings[1].text
    alerts = fake.of("sendMessage", MODERATORS_CHAT)
    assert len(alerts) == 1
    assert "Still an idiot" in alerts[0].text and "Clause 2.1" in alerts[0].text
    assert "breach 2" in alerts[0].text  # the parent's history
    labels = [b["text"] for b in alerts[0].buttons()]
    assert labels == ["Confirm", "False positive", "Remove from group"]
    case = incident_log.incidents()[-1]
    assert case.message_ref == str(second["message_id"])
    assert alerts[0].buttons()[2]["callback_data"] == f"cg:rm:{case.id}:{PARENT['id']}"
    assert fake.of("deleteMessage") == []
    assert all(o.status == "sent" for o in incident_log.outbox())


async def test_high_severity_first_breach_alerts_the_moderators_at_once(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "I will hurt you at pickup")
        await bot.settle()
    assert len(fake.of("sendMessage", PARENT["id"])) == 1
    alerts = fake.of("sendMessage", MODERATORS_CHAT)
    assert len(alerts) == 1 and alerts[0].text.startswith("URGENT")
    slt = fake.of("sendMessage", SLT_CHAT)
    assert len(slt) == 1 and "consider police referral" in slt[0].text
    assert fake.of("deleteMessage") == []  # warn mode never deletes


async def test_enforce_mode_deletes_high_severity_messages_only(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.ENFORCE), incident_log) as bot:
        threat = say(fake, "I will hurt you")
        say(fake, "what an idiot", sender=OTHER)
        await bot.settle()
    deleted = fake.of("deleteMessage", GROUP_ID)
    assert [d.params["message_id"] for d in deleted] == [threat["message_id"]]
    assert len(fake.of("sendMessage", PARENT["id"])) == 1
    assert len(fake.of("sendMessage", OTHER["id"])) == 1
    assert "removed from the group" in fake.of("sendMessage", MODERATORS_CHAT)[0].text


async def test_a_message_the_bot_may_not_delete_is_reported_to_the_moderators(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    fake.fail("deleteMessage", 400, "Bad Request: message can't be deleted")
    async with Running(fake, school(Mode.ENFORCE), incident_log) as bot:
        say(fake, "I will hurt you")
        await bot.settle()
    notes = [c.text for c in fake.of("sendMessage", MODERATORS_CHAT)]
    assert any("could not delete" in n and "message can't be deleted" in n.lower() for n in notes)
    assert any('"Delete messages"' in n for n in notes)
    assert outbox(incident_log, "delete_message")[0].status == "sent"


async def test_parent_who_never_started_the_bot_gets_a_neutral_notice_then_the_warning(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    fake.strangers.add(PARENT["id"])
    settings = school(Mode.WARN, notice_minutes=7)
    async with Running(fake, settings, incident_log) as bot:
        say(fake, "You absolute idiot")
        await bot.settle()
        refused = fake.of("sendMessage", PARENT["id"])
        assert len(refused) == 1  # tried, and Telegram answered 403
        notices = fake.of("sendMessage", GROUP_ID)
        assert len(notices) == 1
        notice = notices[0]
        assert notice.params["parse_mode"] == "HTML"
        assert f'<a href="tg://user?id={PARENT["id"]}">Dan Smith</a>' in notice.text
        for secret in ("idiot", "code of conduct", "2.1", "breach", "warning"):
            assert secret not in notice.text.lower()
        [button] = notice.buttons()
        assert button["url"].startswith(f"https://t.me/{BOT_USERNAME}?start=")
        token = button["url"].split("start=")[1]
    # the 403 is not a failed delivery once the notice is up
    warning = outbox(incident_log, "warn_privately")[0]
    assert warning.status == "sent" and warning.attempts == 0 and warning.recipient is None
    removal = outbox(incident_log, "delete_notice")[0]
    assert removal.status == "pending"
    assert removal.next_attempt_at - removal.created_at == timedelta(minutes=7)

    # the warning waits across a restart, and only its parent may open it
    async with Running(fake, settings, incident_log) as bot:
        fake.message(private(OTHER), OTHER, f"/start {token}")
        await bot.barrier()
        assert "meant for someone else" in fake.of("sendMessage", OTHER["id"])[-1].text
        fake.strangers.discard(PARENT["id"])
        fake.message(private(PARENT), PARENT, f"/start {token}")
        await bot.settle()
    delivered = fake.of("sendMessage", PARENT["id"])[-1]
    assert "section 2.1 (Respectful language)" in delivered.text
    assert [d.params["message_id"] for d in fake.of("deleteMessage", GROUP_ID)] == [
        int(removal.payload["message_ref"])
    ]
    with incident_log.sessions() as session:
        assert session.scalars(select(PendingWarning)).all() == []


async def test_the_notice_removes_itself_after_the_configured_minutes(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    fake.strangers.add(PARENT["id"])
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "idiot")
        await bot.settle()
        assert fake.of("deleteMessage") == []
        later = datetime.now(UTC) + timedelta(minutes=6)
        worker = OutboxWorker(OutboxQueue(incident_log), bot.service.channels(), lambda: later)
        stats = await worker.run_once()
    assert stats.sent == 1
    [deleted] = fake.of("deleteMessage", GROUP_ID)
    assert (
        str(deleted.params["message_id"])
        == outbox(incident_log, "delete_notice")[0].payload["message_ref"]
    )


async def test_flood_control_is_honoured_and_nothing_is_dropped(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    fake.fail(
        "sendMessage",
        429,
        "Too Many Requests: retry after 30",
        retry_after=30,
        when=lambda call: call.chat_id == str(PARENT["id"]),
    )
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "idiot")
        await bot.settle()
        item = outbox(incident_log, "warn_privately")[0]
        assert item.status == "pending" and item.attempts == 1
        assert item.last_error is not None and "flood" in item.last_error.lower()
        assert item.next_attempt_at >= item.created_at + timedelta(seconds=30)
        assert item.recipient == str(PARENT["id"])
        later = datetime.now(UTC) + timedelta(seconds=45)
        worker = OutboxWorker(OutboxQueue(incident_log), bot.service.channels(), lambda: later)
        assert (await worker.run_once()).sent == 1
    assert len(fake.of("sendMessage", PARENT["id"])) == 2  # refused once, then delivered


async def test_captions_forwards_and_edits_are_judged(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    photo = [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90, "file_size": 4}]
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, None, caption="look at this idiot", photo=photo)  # type: ignore[arg-type]
        say(
            fake,
            "forwarded: the treasurer has been stealing",
            sender=OTHER,
            forward_origin={"type": "hidden_user", "date": 1, "sender_user_name": "X"},
        )
        original = say(fake, "See you at the fair", sender=user(5003, "Sam"))
        await bot.settle()
        assert len(incident_log.incidents()) == 2
        edited = {**original, "text": "See you at the fair, idiot", "edit_date": int(time.time())}
        fake.push("edited_message", edited)
        await bot.settle()
    incidents = incident_log.incidents()
    assert [i.media for i in incidents] == ["photo", None, None]
    assert incidents[2].message_ref == str(original["message_id"])
    assert fake.of("getFile")  # the photo itself was fetched for the image checks
    assert len(fake.of("sendMessage", 5003)) == 1


async def test_an_edit_of_a_flagged_message_is_judged_again_without_a_new_strike(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        first = say(fake, "idiot")
        await bot.settle()
        fake.push("edited_message", {**first, "text": "idiot!!", "edit_date": int(time.time())})
        await bot.settle()
    incidents = incident_log.incidents()
    assert len(incidents) == 2 and [i.strike for i in incidents] == [1, 0]


async def test_stand_in_senders_bots_and_the_moderators_chat_are_not_judged(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    channel = {"id": -1005555, "type": "channel", "title": "School news"}
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "idiot", sender=user(1087968824, "Group", is_bot=True), sender_chat=GROUP)
        say(
            fake,
            "idiot",
            sender=user(777000, "Telegram"),
            sender_chat=channel,
            is_automatic_forward=True,
        )
        say(fake, "idiot", sender=user(4242, "OtherBot", is_bot=True))
        fake.message(group(MODERATORS_CHAT, "Moderators"), PARENT, "that idiot again")
        await bot.settle()
    assert incident_log.incidents() == []
    assert fake.of("sendMessage", GROUP_ID) == []


async def test_the_same_update_twice_gives_one_warning(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        message = say(fake, "idiot")
        fake.push("message", message)
        await bot.settle()
    assert len(fake.of("sendMessage", PARENT["id"])) == 1
    with incident_log.sessions() as session:
        assert len(session.scalars(select(Incident)).all()) == 1


async def test_an_unlisted_group_is_only_observed(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    elsewhere = group(-1003333, "Book club")
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        fake.message(elsewhere, PARENT, "idiot")
        await bot.settle()
    [incident] = incident_log.incidents()
    assert incident.mode == "observe"
    assert fake.of("sendMessage", PARENT["id"]) == [] and incident_log.outbox() == []
