"""The moderation pipeline end to end, on real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from classifiers.categories import Category, Severity
from config.loader import load_settings
from config.schema import Mode, Settings
from moderation.actions import (
    AlertModerators,
    AlertOffice,
    DeleteMessage,
    EscalateToSLT,
    RecommendRemoval,
    WarnPrivately,
)
from moderation.escalation import LEGAL_ADVICE, POLICE_ADVICE
from moderation.pipeline import Pipeline
from storage.models import Incident, MessageCount, OutboxItem, Person
from storage.repository import IncidentLog
from tests.support import KeywordClassifier, message

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def settings_in(mode: Mode) -> Settings:
    settings = load_settings()
    groups = [g.model_copy(update={"mode": mode}) for g in settings.groups]
    return settings.model_copy(update={"groups": groups})


def pipeline(log: IncidentLog, mode: Mode = Mode.WARN) -> Pipeline:
    return Pipeline(settings_in(mode), KeywordClassifier(), log, clock=lambda: NOW)


def kinds(actions: tuple[object, ...]) -> list[type]:
    return [type(a) for a in actions]


def test_acceptable_message_leaves_only_a_count(incident_log: IncidentLog) -> None:
    decision = pipeline(incident_log).process(message("See you all at the disco on Friday!"))
    assert not decision.flagged and decision.actions == ()
    with incident_log.sessions() as session:
        assert session.scalars(select(Incident)).all() == []
        count = session.scalars(select(MessageCount)).one()
        assert (count.group_id, count.total, count.flagged) == ("export:oakfield-year4", 1, 0)


def test_first_breach_is_a_private_warning_citing_the_clause(incident_log: IncidentLog) -> None:
    decision = pipeline(incident_log).process(message("You absolute idiot, Karen"))
    assert decision.categories == (Category.ABUSE,)
    assert decision.severity is Severity.MEDIUM
    assert decision.clause is not None and decision.clause.id == "2.1"
    assert kinds(decision.actions) == [WarnPrivately]
    warning = decision.actions[0]
    assert isinstance(warning, WarnPrivately)
    assert "section 2.1 (Respectful language)" in warning.text
    assert "Dan Smith" in warning.text
    outbox = incident_log.outbox()
    assert [(o.kind, o.recipient) for o in outbox] == [("warn_privately", "1001")]


def test_a_half_emoji_is_judged_stored_and_quoted(incident_log: IncidentLog) -> None:
    # A lone UTF-16 surrogate, as a JSON escape of an emoji cut in half would give.
    decision = pipeline(incident_log).process(
        message("You absolute idiot, Karen \ud83d", name="Dan \ud83d")
    )
    assert decision.categories == (Category.ABUSE,)
    warning = decision.actions[0]
    assert isinstance(warning, WarnPrivately) and "Dan \ufffd" in warning.text
    with incident_log.sessions() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.text == "You absolute idiot, Karen \ufffd"


def test_duplicate_delivery_gives_one_incident_and_one_set_of_actions(
    incident_log: IncidentLog,
) -> None:
    pipe = pipeline(incident_log)
    first = pipe.process(message("You absolute idiot"))
    second = pipe.process(message("You absolute idiot"))
    assert second.duplicate and second.actions == ()
    assert second.incident_id == first.incident_id
    assert len(incident_log.incidents()) == 1
    assert len(incident_log.outbox()) == 1


def test_edited_message_is_judged_again_without_a_new_strike(incident_log: IncidentLog) -> None:
    pipe = pipeline(incident_log)
    pipe.process(message("You absolute idiot"))
    edited = pipe.process(message("You absolute idiot and worse", revision=1))
    assert edited.flagged and not edited.duplicate
    assert edited.strike == 0
    third = pipe.process(message("Another idiot remark", message_id="2"))
    assert third.strike == 2


def test_the_ladder_climbs_with_repeated_breaches(incident_log: IncidentLog) -> None:
    pipe = pipeline(incident_log)
    steps = []
    for n in range(1, 7):
        decision = pipe.process(
            message(f"idiot number {n}", message_id=str(n), when=NOW + timedelta(days=n))
        )
        steps.append((decision.strike, decision.step, kinds(decision.actions)))
    assert steps[0] == (1, "warn", [WarnPrivately])
    assert steps[1] == (2, "alert_moderators", [WarnPrivately, AlertModerators])
    assert steps[2] == (3, "meeting_letter", [WarnPrivately, AlertModerators, EscalateToSLT])
    assert steps[3][1] == "stop_letter"
    assert steps[4] == (
        5,
        "removal",
        [WarnPrivately, AlertModerators, EscalateToSLT, RecommendRemoval],
    )
    assert steps[5][1] == "removal"


def test_slt_letters_are_drafted_not_sent(incident_log: IncidentLog) -> None:
    pipe = pipeline(incident_log)
    decisions = [
        pipe.process(message("idiot", message_id=str(n), when=NOW + timedelta(days=n)))
        for n in range(1, 5)
    ]
    meeting = next(a for a in decisions[2].actions if isinstance(a, EscalateToSLT))
    assert meeting.letter is not None
    assert meeting.letter.startswith("DRAFT for review: not sent")
    assert "Invitation to a meeting" in meeting.letter
    assert meeting.letter.count("a message contrary to section 2.1") == 3
    stop = next(a for a in decisions[3].actions if isinstance(a, EscalateToSLT))
    assert stop.letter is not None and "Request to stop" in stop.letter


def test_strikes_outside_the_window_no_longer_count(incident_log: IncidentLog) -> None:
    pipe = pipeline(incident_log)
    pipe.process(message("idiot", message_id="1", when=NOW - timedelta(days=200)))
    pipe.process(message("idiot", message_id="2", when=NOW - timedelta(days=150)))
    later = pipe.process(message("idiot", message_id="3", when=NOW))
    assert later.strike == 1
    assert len(incident_log.incidents()) == 3


def test_false_positive_takes_the_strike_back(incident_log: IncidentLog) -> None:
    pipe = pipeline(incident_log)
    first = pipe.process(message("idiot", message_id="1"))
    assert first.incident_id is not None
    incident_log.add_event(first.incident_id, "moderator", "false_positive", "banter", NOW)
    second = pipe.process(message("idiot", message_id="2", when=NOW + timedelta(hours=1)))
    assert second.strike == 1
    events = incident_log.incident(first.incident_id)
    assert events is not None
    assert [e.kind for e in events.events] == ["opened", "false_positive"]


@pytest.mark.parametrize(
    ("text", "advice", "urgent"),
    [
        ("I will hurt you at pickup", POLICE_ADVICE, True),
        ("those people should go back", POLICE_ADVICE, True),
        ("the treasurer has been stealing", LEGAL_ADVICE, False),
    ],
)
def test_serious_cases_bypass_the_ladder(
    incident_log: IncidentLog, text: str, advice: str, urgent: bool
) -> None:
    decision = pipeline(incident_log).process(message(text))
    assert decision.strike == 1
    alert = next(a for a in decision.actions if isinstance(a, AlertModerators))
    assert alert.urgent is urgent
    slt = next(a for a in decision.actions if isinstance(a, EscalateToSLT))
    assert slt.advice == advice
    assert advice in slt.text


def test_security_breach_alerts_the_office(incident_log: IncidentLog) -> None:
    decision = pipeline(incident_log).process(message("the gate code is 4721"))
    assert AlertOffice in kinds(decision.actions)


def test_enforce_mode_deletes_high_severity_only(incident_log: IncidentLog) -> None:
    pipe = pipeline(incident_log, Mode.ENFORCE)
    threat = pipe.process(message("I will hurt you", message_id="1"))
    assert DeleteMessage in kinds(threat.actions)
    rude = pipe.process(message("idiot", message_id="2", sender="2002"))
    assert DeleteMessage not in kinds(rude.actions)


def test_observe_mode_tells_nobody(incident_log: IncidentLog) -> None:
    decision = pipeline(incident_log, Mode.OBSERVE).process(message("idiot"))
    assert decision.flagged and decision.actions == ()
    assert kinds(decision.would_have) == [WarnPrivately]
    assert incident_log.outbox() == []
    assert len(incident_log.incidents()) == 1


def test_observed_breaches_never_escalate_a_live_group(incident_log: IncidentLog) -> None:
    observe = pipeline(incident_log, Mode.OBSERVE)
    simulated = [
        observe.process(message("idiot", message_id=str(n), when=NOW + timedelta(hours=n)))
        for n in range(3)
    ]
    assert [d.step for d in simulated] == ["warn", "alert_moderators", "meeting_letter"]
    live = pipeline(incident_log, Mode.WARN).process(
        message("idiot", message_id="9", when=NOW + timedelta(days=1))
    )
    assert live.strike == 1 and live.step == "warn"


def test_outbox_items_point_at_their_incident(incident_log: IncidentLog) -> None:
    decision = pipeline(incident_log).process(message("I will hurt you"))
    assert {o.incident_id for o in incident_log.outbox()} == {decision.incident_id}


def test_unknown_group_is_observed(incident_log: IncidentLog) -> None:
    decision = pipeline(incident_log).process(message("idiot", group="somewhere-else"))
    assert decision.mode is Mode.OBSERVE and decision.actions == ()


def test_identifiers_are_pseudonymised(incident_log: IncidentLog) -> None:
    raw_id = "447700900123"
    pipeline(incident_log).process(message("idiot", sender=raw_id))
    with incident_log.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert raw_id not in person.pseudonym and len(person.pseudonym) == 64
        incident = session.scalars(select(Incident)).one()
        assert raw_id not in repr(incident.evidence) + incident.dedupe_key


def test_sent_warning_recipient_is_only_in_the_pending_outbox(incident_log: IncidentLog) -> None:
    pipeline(incident_log).process(message("idiot", sender="447700900123"))
    with incident_log.sessions() as session:
        item = session.scalars(select(OutboxItem)).one()
        assert item.recipient == "447700900123" and item.status == "pending"
