"""Moderators' case workflow: states from appended events, strikes taken back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config.schema import Mode
from moderation.cases import CaseBook, CaseError, CaseState
from moderation.pipeline import Pipeline
from storage.repository import IncidentLog
from tests.support import KeywordClassifier, message
from tests.test_pipeline import NOW, settings_in


def flagged(log: IncidentLog, n: int = 1, sender: str = "1001", name: str = "Dan") -> list[int]:
    pipe = Pipeline(settings_in(Mode.WARN), KeywordClassifier(), log, clock=lambda: NOW)
    ids = []
    for i in range(n):
        d = pipe.process(
            message(
                "idiot",
                sender=sender,
                name=name,
                message_id=f"{sender}-{i}",
                when=NOW + timedelta(hours=i),
            )
        )
        assert d.incident_id is not None
        ids.append(d.incident_id)
    return ids


def test_case_moves_through_its_states_with_recorded_events(incident_log: IncidentLog) -> None:
    (case_id,) = flagged(incident_log)
    book = CaseBook(incident_log, clock=lambda: NOW)
    assert book.get(case_id).state is CaseState.OPEN
    book.move(case_id, CaseState.CONFIRMED, "Sarah (moderator)", "clearly rude")
    book.note(case_id, "Sarah (moderator)", "spoke to the parent at pickup")
    book.move(case_id, CaseState.ACTIONED, "Mrs Clarke", "meeting held")
    case = book.move(case_id, CaseState.CLOSED, "Mrs Clarke")
    assert case.state is CaseState.CLOSED
    events = [(e.kind, e.actor, e.note) for e in case.incident.events]
    assert events == [
        ("opened", "classguard", None),
        ("confirmed", "Sarah (moderator)", "clearly rude"),
        ("note", "Sarah (moderator)", "spoke to the parent at pickup"),
        ("actioned", "Mrs Clarke", "meeting held"),
        ("closed", "Mrs Clarke", None),
    ]
    with pytest.raises(CaseError, match="is closed and cannot become confirmed"):
        book.move(case_id, CaseState.CONFIRMED, "someone")


def test_false_positive_removes_the_strike(incident_log: IncidentLog) -> None:
    first, second = flagged(incident_log, 2)
    book = CaseBook(incident_log, clock=lambda: NOW)
    assert book.get(second).incident.step == "alert_moderators"
    case = book.move(first, CaseState.FALSE_POSITIVE, "Sarah (moderator)", "banter")
    assert case.state is CaseState.FALSE_POSITIVE and not case.strike_counts
    pseudonym = case.incident.person.pseudonym
    assert (
        len(incident_log.strikes(pseudonym, NOW - timedelta(days=1), NOW + timedelta(days=1))) == 1
    )
    assert case_id_list(book, open_only=True) == [second]


def case_id_list(book: CaseBook, open_only: bool) -> list[int]:
    return [c.id for c in book.cases(open_only=open_only)]


def test_pardon_keeps_state_but_takes_the_strike_back(incident_log: IncidentLog) -> None:
    (case_id,) = flagged(incident_log)
    book = CaseBook(incident_log, clock=lambda: NOW)
    case = book.pardon(case_id, "Mrs Clarke", "first time, apologised")
    assert case.state is CaseState.OPEN and not case.strike_counts
    with pytest.raises(CaseError, match="no strike"):
        book.pardon(case_id, "Mrs Clarke")


def test_chronology_is_everything_about_one_parent_in_order(incident_log: IncidentLog) -> None:
    flagged(incident_log, 2, sender="a", name="Gary Mills")
    flagged(incident_log, 1, sender="b", name="Tom Barker")
    book = CaseBook(incident_log, clock=lambda: NOW)
    history = book.chronology("gary mills")
    assert [c.incident.person.display_name for c in history] == ["Gary Mills", "Gary Mills"]
    assert history[0].incident.sent_at < history[1].incident.sent_at
    with pytest.raises(CaseError, match="no cases about"):
        book.chronology("Nobody")
    with pytest.raises(CaseError, match="no case #999"):
        book.get(999)
