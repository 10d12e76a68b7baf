"""The weekly digest's figures and its rendering, from a log seeded through the real pipeline."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.digest_render import render_email, render_text, write_html
from config.schema import Mode
from moderation.cases import CaseBook, CaseState
from moderation.digest import (
    Digest,
    IsoWeek,
    build_digest,
    due_week,
    excerpt,
    latest_due,
    queue_digest,
)
from moderation.escalation import LEGAL_ADVICE, POLICE_ADVICE
from moderation.message import Platform
from moderation.pipeline import Pipeline
from storage.repository import IncidentLog
from tests.support import KeywordClassifier, message
from tests.test_pipeline import settings_in

LONDON = ZoneInfo("Europe/London")
WEEK = IsoWeek(2026, 47)
#: When the scheduled digest for WEEK goes out.
FRIDAY_4PM = datetime(2026, 11, 20, 16, 0, tzinfo=LONDON)
SETTINGS = settings_in(Mode.WARN)
TELEGRAM_GROUP = "-1001234567890"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A London time in November 2026."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def seed(log: IncidentLog) -> dict[str, int]:
    """Two weeks of two class groups; returns case numbers by a short name.

    Last week (W46): Dan and Priya are rude, Tom talks politics (later a false
    positive). This week (W47): Dan complains about a teacher, then threatens
    (third strike: a meeting letter, and police advice); Priya shares the gate
    code; Tom alleges theft (legal advice); Kemi is flagged late on Sunday in the
    Telegram group (a false positive). Early on Monday of W48 Kemi is flagged again.
    """
    pipe = Pipeline(SETTINGS, KeywordClassifier(), log, clock=lambda: FRIDAY_4PM)
    ids = itertools.count(1)

    def say(
        text: str,
        when: datetime,
        sender: str = "1001",
        name: str = "Dan Smith",
        group: str = "oakfield-year4",
        platform: Platform = Platform.EXPORT,
    ) -> int | None:
        msg = message(
            text,
            sender=sender,
            name=name,
            message_id=str(next(ids)),
            group=group,
            platform=platform,
            when=when,
        )
        return pipe.process(msg).incident_id

    for day in (9, 10, 11, 12, 13, 16, 17, 18, 19):
        for hour in (8, 12, 19):
            say("Thanks for organising the cake sale!", at(day, hour), sender="4004", name="Lucy")
    say("See you at the nativity", at(17, 9), group=TELEGRAM_GROUP, platform=Platform.TELEGRAM)
    cases = {
        "priya_w46": say("You idiot", at(10, 9), sender="2002", name="Priya Shah"),
        "dan_w46": say("What an idiot", at(11, 20)),
        "tom_vote": say("Everyone vote for them", at(12, 20), sender="3003", name="Tom Barker"),
        "dan_teacher": say("Useless teacher, honestly", at(16, 8, 30)),
        "priya_gate": say("The gate code is 4721", at(17, 7, 45), sender="2002", name="Priya Shah"),
        "dan_threat": say("If you do that again I will hurt you", at(18, 21, 5)),
        "tom_theft": say(
            "Everyone knows the treasurer has been stealing from the PTA fund for years, "
            "and the head teacher covers for her every single time it comes up at meetings",
            at(19, 18),
            sender="3003",
            name="Tom Barker",
        ),
        "kemi_sunday": say(
            "You idiot",
            at(22, 23, 30),
            sender="5005",
            name="Kemi Adeyemi",
            group=TELEGRAM_GROUP,
            platform=Platform.TELEGRAM,
        ),
        "kemi_w48": say("idiot again", at(23, 0, 30), sender="5005", name="Kemi Adeyemi"),
    }
    found = {name: case for name, case in cases.items() if case is not None}
    assert len(found) == len(cases)
    book = CaseBook(log, clock=lambda: FRIDAY_4PM)
    book.move(
        found["tom_vote"], CaseState.FALSE_POSITIVE, "Sarah", "asked people to vote in the PTA"
    )
    book.move(found["priya_gate"], CaseState.CONFIRMED, "Sarah")
    book.move(found["kemi_sunday"], CaseState.FALSE_POSITIVE, "Tom (class rep)", "banter")
    book.move(found["dan_w46"], CaseState.CONFIRMED, "Sarah")
    book.move(found["dan_w46"], CaseState.CLOSED, "Mrs Clarke", "spoke to Dan")
    return found


def test_iso_weeks_are_parsed_and_bounded_in_the_schools_timezone() -> None:
    assert IsoWeek.parse("2026-W47") == IsoWeek.parse("2026w47") == WEEK
    assert str(IsoWeek.parse("2026-W1")) == "2026-W01"
    for bad in ("2026-47", "last week", "2026-W54"):
        with pytest.raises(ValueError):
            IsoWeek.parse(bad)
    assert (WEEK.monday.isoformat(), WEEK.sunday.isoformat()) == ("2026-11-16", "2026-11-22")
    assert IsoWeek(2027, 1).shifted(-1) == IsoWeek(2026, 53)
    start, end = IsoWeek(2026, 27).bounds(LONDON)  # summer: midnight is 23:00 UTC the day before
    assert start.astimezone(UTC) == datetime(2026, 6, 28, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 7, 5, 23, 0, tzinfo=UTC)


def test_the_due_week_is_the_one_of_the_last_scheduled_digest() -> None:
    config = SETTINGS.digest
    assert latest_due(config, FRIDAY_4PM) == FRIDAY_4PM
    assert due_week(config, FRIDAY_4PM) == WEEK
    assert due_week(config, at(20, 15, 59)) == IsoWeek(2026, 46)
    assert due_week(config, at(25, 8)) == WEEK  # a Wednesday preview shows last Friday's week
    assert due_week(config, at(23, 9)) == WEEK  # a late run on Monday still covers its week


def test_digest_figures_for_the_week(incident_log: IncidentLog) -> None:
    cases = seed(incident_log)
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)

    assert (digest.week, digest.school) == ("2026-W47", "Oakfield Primary School")
    assert digest.generated_at == FRIDAY_4PM
    assert (digest.flagged, digest.last_week_flagged) == (5, 3)
    # 4 days x 3 acceptable + 4 flagged in the Year 4 group, 1 + 1 in the Telegram group
    assert (digest.messages, digest.last_week_messages) == (18, 18)

    headings = {t.key: (t.label, t.this_week, t.last_week) for t in digest.by_heading}
    assert headings == {
        "abuse": ("Respectful language", 1, 2),
        "staff_grievance": ("Concerns about staff or the school", 1, 0),
        "threat": ("No threats or intimidation", 1, 0),
        "security": ("School security", 1, 0),
        "defamation": ("Damaging allegations", 1, 0),
        "political": ("Keep the group to school matters", 0, 1),
    }
    severities = {t.key: (t.this_week, t.last_week) for t in digest.by_severity}
    assert severities == {"critical": (1, 0), "high": (2, 0), "medium": (2, 2), "low": (0, 1)}
    groups = {g.name: (g.messages, g.flagged, g.last_week_flagged) for g in digest.by_group}
    assert groups == {
        "Year 4 Parents (Oak Class)": (16, 4, 3),
        "Year 3 Parents (Willow Class)": (2, 1, 0),
    }
    assert [p.week for p in digest.trend][-2:] == ["2026-W46", "2026-W47"]
    assert len(digest.trend) == 8 and [p.flagged for p in digest.trend][-2:] == [3, 5]
    assert digest.trend[-1].by_severity == {"medium": 2, "high": 2, "critical": 1}

    escalated = {c.case: c for c in digest.escalated}
    assert set(escalated) == {cases["dan_threat"], cases["tom_theft"]}
    threat = escalated[cases["dan_threat"]]
    assert (threat.parent, threat.step, threat.advice) == (
        "Dan Smith",
        "letter inviting a meeting",
        POLICE_ADVICE,
    )
    assert threat.excerpt == "If you do that again I will hurt you"
    assert threat.sent_at == at(18, 21, 5)
    theft = escalated[cases["tom_theft"]]
    assert theft.advice == LEGAL_ADVICE and theft.excerpt is not None
    assert theft.excerpt.endswith("…") and len(theft.excerpt) <= 141

    repeat = {p.name: (p.strikes, p.this_week, p.latest_step) for p in digest.repeat_parents}
    assert repeat == {
        "Dan Smith": (3, 2, "letter inviting a meeting"),
        "Priya Shah": (2, 1, "moderators alerted"),
    }  # Tom's first breach was a false positive; Kemi's too

    open_cases = [c.case for c in digest.open_cases]
    expected = ["priya_w46", "dan_teacher", "priya_gate", "dan_threat", "tom_theft"]
    assert open_cases == [cases[name] for name in expected]
    assert all(c.excerpt is None for c in digest.open_cases)

    assert (digest.review.flagged, digest.review.reviewed, digest.review.false_positives) == (
        5,
        2,
        1,
    )
    assert digest.review.share == 50
    assert (digest.review_trend.reviewed, digest.review_trend.false_positives) == (4, 2)
    assert digest.undelivered == 0
    assert Digest.from_payload(digest.to_payload()) == digest


def test_a_quiet_week_reads_calmly(incident_log: IncidentLog) -> None:
    digest = build_digest(incident_log, SETTINGS, IsoWeek(2026, 40), FRIDAY_4PM)
    assert digest.flagged == digest.messages == 0
    text = render_text(digest)
    assert "No messages were flagged this week across 2 class groups" in text
    assert "Nothing was escalated to senior leaders this week." in text
    assert "There are no open cases." in text
    rendered = render_email(digest)
    assert rendered.chart.startswith(b"\x89PNG\r\n\x1a\n")


def test_rendered_digest_says_what_matters_and_escapes_message_text(
    incident_log: IncidentLog, tmp_path: Path
) -> None:
    seed(incident_log)
    Pipeline(SETTINGS, KeywordClassifier(), incident_log, clock=lambda: FRIDAY_4PM).process(
        message(
            "<script>alert(1)</script> you idiot, I will hurt you",
            when=at(19, 9),
            sender="6006",
            name="Ann",
        )
    )
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    text = render_text(digest)
    assert "Week 47: 16 to 22 November 2026" in text
    assert "Figures as at 16:00 on Friday 20 November 2026" in text
    assert "6 of 19 messages (32%) were flagged this week across 2 class groups" in text
    assert '"If you do that again I will hurt you"' in text
    assert "Advice: consider police referral." in text
    assert "Dan Smith: 3 breaches, 2 this week" in text
    assert "Thanks for organising" not in text  # acceptable messages are never quoted

    rendered = render_email(digest)
    assert rendered.subject == (
        "Oakfield Primary School: class groups digest for week 47 (16 to 22 November 2026)"
    )
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert 'src="cid:digest-chart@classguard"' in rendered.html

    path = tmp_path / "digest.html"
    write_html(digest, path)
    page = path.read_text(encoding="utf-8")
    assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', page)
    assert "Cases for senior leaders" in page and "Parents with repeated breaches" in page


def test_excerpts_are_short_single_lines() -> None:
    assert excerpt("  line one\n\nline   two ", None) == "line one line two"
    assert excerpt("", "photo") == "[photo]"
    long = "word " * 60
    cut = excerpt(long, None)
    assert cut.endswith("…") and len(cut) <= 141 and "  " not in cut


def test_a_manual_digest_does_not_take_the_scheduled_ones_place(
    incident_log: IncidentLog,
) -> None:
    digest = build_digest(incident_log, SETTINGS, WEEK, FRIDAY_4PM)
    text = render_text(digest)
    manual = queue_digest(incident_log, digest, text, FRIDAY_4PM, scheduled=False)
    scheduled = queue_digest(incident_log, digest, text, FRIDAY_4PM, scheduled=True)
    again = queue_digest(incident_log, digest, text, FRIDAY_4PM, scheduled=True)
    assert manual is not None and scheduled is not None and again is None
    items = incident_log.outbox()
    assert [(i.kind, i.payload["week"]) for i in items] == [("digest", "2026-W47")] * 2
    # Channels that send text alone (Telegram) use the plain text; others render the data.
    assert items[0].payload["text"] == text
    assert Digest.from_payload(items[0].payload["digest"]) == digest
