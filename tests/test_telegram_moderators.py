"""Moderators, admins and members in Telegram: buttons, commands, reports and appeals."""

from __future__ import annotations

import time

from sqlalchemy import select

from config.schema import Mode
from moderation.cases import CaseBook, CaseState
from storage.models import GroupBinding, MemberRef
from storage.repository import IncidentLog
from tests.fake_telegram import FakeTelegram, group, private, user
from tests.telegram_harness import (
    GROUP,
    GROUP_ID,
    MODERATORS_CHAT,
    OTHER,
    PARENT,
    SLT_CHAT,
    TOM,
    Running,
    as_received,
    say,
    school,
)


def breaches(fake: FakeTelegram, count: int, sender: dict[str, object] = PARENT) -> None:
    start = int(time.time()) - 600
    for n in range(count):
        say(fake, f"idiot number {n + 1}", sender=sender, date=start + n * 60)


async def test_false_positive_withdraws_the_strike_and_only_moderators_may_press(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        breaches(fake, 2)
        await bot.settle()
        [alert] = fake.of("sendMessage", MODERATORS_CHAT)
        case_id = incident_log.incidents()[-1].id
        false_positive = f"cg:fp:{case_id}"
        assert false_positive in [b["callback_data"] for b in alert.buttons()]

        fake.press(OTHER, false_positive, as_received(alert))
        await bot.barrier()
        [refused] = fake.of("answerCallbackQuery")
        assert refused.params["show_alert"] == "true"
        assert "Only the moderators of Year 3 Parents (Willow Class)" in refused.text
        assert CaseBook(incident_log).get(case_id).state is CaseState.OPEN

        fake.press(TOM, false_positive, as_received(alert))
        await bot.barrier()
        answered = fake.of("answerCallbackQuery")[-1]
        assert "false positive" in answered.text and answered.params.get("show_alert") != "true"
        case = CaseBook(incident_log).get(case_id)
        assert case.state is CaseState.FALSE_POSITIVE and not case.strike_counts
        assert [e.kind for e in case.incident.events] == ["opened", "false_positive"]
        assert case.incident.events[-1].actor == "Tom (class rep)"
        [edited] = fake.of("editMessageText", MODERATORS_CHAT)
        assert edited.text.endswith("false positive: the strike is withdrawn (Tom (class rep))")

        say(fake, "idiot again")  # the withdrawn strike no longer counts
        await bot.settle()
    assert incident_log.incidents()[-1].step == "alert_moderators"  # strike 2, not 3


async def test_remove_from_group_removes_without_a_ban_and_records_it(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        breaches(fake, 2)
        await bot.settle()
        [alert] = fake.of("sendMessage", MODERATORS_CHAT)
        remove = next(b for b in alert.buttons() if b["text"] == "Remove from group")
        with incident_log.sessions() as session:  # the alert carries the id: nothing kept
            assert session.scalars(select(MemberRef)).all() == []
        fake.press(TOM, remove["callback_data"], as_received(alert))
        await bot.barrier()
    [ban] = fake.of("banChatMember", GROUP_ID)
    [unban] = fake.of("unbanChatMember", GROUP_ID)
    assert ban.params["user_id"] == unban.params["user_id"] == PARENT["id"]
    assert unban.params["only_if_banned"] == "true"
    case = CaseBook(incident_log).get(incident_log.incidents()[-1].id)
    assert case.state is CaseState.ACTIONED
    assert [e.kind for e in case.incident.events] == ["opened", "confirmed", "actioned"]


async def test_removal_without_ban_rights_is_explained(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    fake.fail(
        "banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member"
    )
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        breaches(fake, 2)
        await bot.settle()
        [alert] = fake.of("sendMessage", MODERATORS_CHAT)
        remove = next(b for b in alert.buttons() if b["text"] == "Remove from group")
        fake.press(TOM, remove["callback_data"], as_received(alert))
        await bot.barrier()
    answer = fake.of("answerCallbackQuery")[-1]
    assert answer.params["show_alert"] == "true" and '"Ban users"' in answer.text
    assert CaseBook(incident_log).get(incident_log.incidents()[-1].id).state is CaseState.OPEN


async def test_a_third_breach_in_the_window_escalates_to_senior_leadership(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        breaches(fake, 3)
        await bot.settle()
    assert [i.step for i in incident_log.incidents()] == [
        "warn",
        "alert_moderators",
        "meeting_letter",
    ]
    assert len(fake.of("sendMessage", PARENT["id"])) == 3
    assert len(fake.of("sendMessage", MODERATORS_CHAT)) == 2
    [slt] = fake.of("sendMessage", SLT_CHAT)
    assert "needs senior leadership" in slt.text and "Invitation to a meeting" in slt.text
    [letter] = fake.of("sendDocument", SLT_CHAT)
    [(name, content)] = letter.files.values()
    assert name.endswith("draft-letter.txt")
    assert content.decode().startswith("DRAFT for review: not sent")


async def test_report_tells_the_moderators_and_is_rate_limited(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN, reports_per_hour=2), incident_log) as bot:
        plain = say(fake, "Shall we meet at the gate at 3?")
        rude = say(fake, "what an idiot")
        await bot.settle()
        fake.message(GROUP, OTHER, "/report", reply_to=plain)
        fake.message(GROUP, OTHER, "/report", reply_to=rude)
        await bot.settle()
        alerts = [c.text for c in fake.of("sendMessage", MODERATORS_CHAT)]
        assert any(
            "Priya Shah reported a message from Dan Smith" in a
            and "had not flagged it" in a
            and "meet at the gate" in a
            for a in alerts
        )
        case_id = incident_log.incidents()[-1].id
        assert any(f"(case #{case_id}, already flagged under clause 2.1)" in a for a in alerts)
        assert [e.kind for e in CaseBook(incident_log).get(case_id).incident.events] == [
            "opened",
            "report",
        ]
        assert len(fake.of("deleteMessage", GROUP_ID)) == 2  # the /report commands
        assert "have been told" in fake.of("sendMessage", OTHER["id"])[-1].text
        fake.message(GROUP, OTHER, "/report", reply_to=plain)
        await bot.barrier()
    assert "reported several messages recently" in fake.of("sendMessage", GROUP_ID)[-1].text
    assert len(fake.of("sendMessage", MODERATORS_CHAT)) == 2


async def test_report_must_reply_to_a_message(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        fake.message(GROUP, OTHER, "/report")
        await bot.barrier()
    assert "reply to it" in fake.of("sendMessage", GROUP_ID)[-1].text


async def test_moderators_see_and_pardon_cases_in_private_only(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "you idiot")
        await bot.settle()
        case_id = incident_log.incidents()[-1].id
        fake.message(private(TOM), TOM, "/cases")
        fake.message(private(TOM), TOM, f"/case {case_id}")
        fake.message(private(TOM), TOM, f"/pardon {case_id} banter between friends")
        fake.message(private(OTHER), OTHER, "/cases")
        fake.message(GROUP, TOM, "/cases")
        await bot.barrier()
    listing, detail, pardoned = (c.text for c in fake.of("sendMessage", TOM["id"]))
    assert f"#{case_id}" in listing and "Dan Smith" in listing and "open" in listing
    assert 'Message: "you idiot"' in detail and "Clause 2.1" in detail
    assert f"Case #{case_id} pardoned" in pardoned
    case = CaseBook(incident_log).get(case_id)
    assert not case.strike_counts and case.incident.events[-1].note == "banter between friends"
    assert "Only the moderators" in fake.of("sendMessage", OTHER["id"])[-1].text
    assert "Cases are private" in fake.of("sendMessage", GROUP_ID)[-1].text


async def test_an_appeal_becomes_a_case_note_and_an_alert(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "idiot")
        await bot.settle()
        fake.message(GROUP, PARENT, "/appeal")
        fake.message(private(PARENT), PARENT, "/start appeal")
        fake.message(private(PARENT), PARENT, "/appeal I was quoting the film, not calling names")
        await bot.settle()
        in_group = fake.of("sendMessage", GROUP_ID)[-1]
        assert "private chat" in in_group.text
        assert in_group.buttons()[0]["url"].endswith("?start=appeal")
        assert "/appeal I was quoting" in fake.of("sendMessage", PARENT["id"])[-2].text
    case = CaseBook(incident_log).get(incident_log.incidents()[-1].id)
    appeal = case.incident.events[-1]
    assert (appeal.kind, appeal.note) == ("appeal", "I was quoting the film, not calling names")
    [alert] = fake.of("sendMessage", MODERATORS_CHAT)
    assert f"Dan Smith appeals case #{case.id}" in alert.text
    assert "False positive" in [b["text"] for b in alert.buttons()]
    assert "passed your appeal" in fake.of("sendMessage", PARENT["id"])[-1].text


async def test_only_admins_change_the_mode_and_it_survives_a_restart(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        fake.message(GROUP, OTHER, "/mode enforce")
        await bot.barrier()
        assert "Only the group's admins" in fake.of("sendMessage", GROUP_ID)[-1].text
        fake.admins[GROUP_ID] = {OTHER["id"]}
        fake.message(GROUP, OTHER, "/mode enforce")
        await bot.barrier()
        assert "now in enforce mode" in fake.of("sendMessage", GROUP_ID)[-1].text
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        threat = say(fake, "I will hurt you")
        await bot.settle()
    assert [d.params["message_id"] for d in fake.of("deleteMessage")] == [threat["message_id"]]
    with incident_log.sessions() as session:
        row = session.scalars(select(GroupBinding)).one()
    assert (row.mode, row.mode_set_by, row.bound_at) == ("enforce", "Priya Shah", None)


async def test_setup_binds_an_unlisted_group_with_its_admin_as_moderator(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    year5 = group(-1004444, "Year 5 Parents")
    admin = user(6001, "Alex", "Admin")
    fake.admins[year5["id"]] = {admin["id"]}
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        fake.message(year5, PARENT, "/setup")
        fake.message(year5, OTHER, "idiot before setup")
        fake.message(year5, admin, "/setup")
        await bot.settle()
        assert incident_log.incidents()[0].mode == "observe"
        replies = [c.text for c in fake.of("sendMessage", year5["id"])]
        assert "Only the group's admins" in replies[0]
        assert "I now look after Year 5 Parents in warn mode" in replies[1]
        setup_reply = fake.of("sendMessage", year5["id"])[1]
        assert setup_reply.buttons()[0]["url"].endswith("?start=moderator")
        start = int(time.time())
        fake.message(year5, PARENT, "idiot one", date=start)
        fake.message(year5, PARENT, "idiot two", date=start + 1)
        await bot.settle()
    assert len(fake.of("sendMessage", PARENT["id"])) == 2
    [alert] = fake.of("sendMessage", admin["id"])
    assert "Year 5 Parents" in alert.text


async def test_joining_a_group_introduces_the_bot_and_says_what_it_needs(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    unlisted = group(-1005555, "Reception Parents")
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        fake.bot_added(GROUP, TOM)
        fake.bot_added(unlisted, TOM, admin=True)
        await bot.barrier()
    [intro] = fake.of("sendMessage", GROUP_ID)
    assert "https://oakfield.example.sch.uk/policies/parent-code-of-conduct" in intro.text
    assert "What I keep" in intro.text
    assert '"Delete messages" and "Ban users"' in intro.text and "privacy mode" in intro.text
    assert "/setup" not in intro.text
    [other] = fake.of("sendMessage", unlisted["id"])
    assert '"Ban users" right' in other.text and "/setup" in other.text


async def test_policy_privacy_and_help(fake: FakeTelegram, incident_log: IncidentLog) -> None:
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        fake.message(GROUP, OTHER, "/policy")
        fake.message(GROUP, OTHER, "/privacy")
        fake.message(private(TOM), TOM, "/help")
        fake.message(private(OTHER), OTHER, "why did you write to me?")
        await bot.barrier()
    policy, privacy = (c.text for c in fake.of("sendMessage", GROUP_ID))
    assert "2.1 Respectful language" in policy and "class teacher first" in policy
    assert "365 days" in privacy and "daily count" in privacy
    assert "/cases" in fake.of("sendMessage", TOM["id"])[-1].text
    assert "/appeal" in fake.of("sendMessage", OTHER["id"])[-1].text
