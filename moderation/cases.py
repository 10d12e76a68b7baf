"""Moderators' cases: an incident's state, derived from its append-only events.

States: ``open`` → ``confirmed`` or ``false_positive`` → ``actioned`` → ``closed``.
Every change is a new event with who, when and a note; a false positive or a
pardon takes the strike off the parent's record without editing the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from storage.models import Incident, IncidentEvent
from storage.repository import IncidentLog


class CaseState(StrEnum):
    """Where a case stands."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    ACTIONED = "actioned"
    CLOSED = "closed"


#: Event kinds that move a case to a state; other kinds (note, appeal, pardoned) do not.
STATE_EVENTS = {
    "opened": CaseState.OPEN,
    "confirmed": CaseState.CONFIRMED,
    "false_positive": CaseState.FALSE_POSITIVE,
    "actioned": CaseState.ACTIONED,
    "closed": CaseState.CLOSED,
}

ALLOWED = {
    CaseState.OPEN: {CaseState.CONFIRMED, CaseState.FALSE_POSITIVE, CaseState.CLOSED},
    CaseState.CONFIRMED: {CaseState.ACTIONED, CaseState.FALSE_POSITIVE, CaseState.CLOSED},
    CaseState.FALSE_POSITIVE: {CaseState.CLOSED},
    CaseState.ACTIONED: {CaseState.CLOSED},
    CaseState.CLOSED: set(),
}


class CaseError(Exception):
    """A request a case cannot take, explained in one line."""


def state_of(events: list[IncidentEvent]) -> CaseState:
    """The state the events add up to."""
    state = CaseState.OPEN
    for event in events:
        state = STATE_EVENTS.get(event.kind, state)
    return state


@dataclass(frozen=True)
class Case:
    """An incident with its state."""

    incident: Incident
    state: CaseState

    @property
    def id(self) -> int:
        """The case number moderators use (the incident's id)."""
        return self.incident.id

    @property
    def strike_counts(self) -> bool:
        """Whether the incident still counts against the parent."""
        taken_back = {"false_positive", "pardoned"}
        return bool(self.incident.strike) and not any(
            e.kind in taken_back for e in self.incident.events
        )


class CaseBook:
    """Reading and moving cases."""

    def __init__(self, log: IncidentLog, clock: Callable[[], datetime] | None = None) -> None:
        self.log = log
        self.clock = clock or (lambda: datetime.now(UTC))

    def get(self, case_id: int) -> Case:
        """One case, or :class:`CaseError` if there is none with that number."""
        incident = self.log.incident(case_id)
        if incident is None:
            raise CaseError(f"there is no case #{case_id}")
        return Case(incident, state_of(incident.events))

    def cases(self, *, open_only: bool = False, group_id: str | None = None) -> list[Case]:
        """Cases, newest first; ``open_only`` leaves out closed and false-positive ones."""
        found = [Case(i, state_of(i.events)) for i in reversed(self.log.incidents())]
        if group_id is not None:
            found = [c for c in found if c.incident.group_id == group_id]
        if open_only:
            done = {CaseState.CLOSED, CaseState.FALSE_POSITIVE}
            found = [c for c in found if c.state not in done]
        return found

    def move(self, case_id: int, to: CaseState, actor: str, note: str | None = None) -> Case:
        """Append a state change, if the case's current state allows it."""
        case = self.get(case_id)
        if to not in ALLOWED[case.state]:
            raise CaseError(f"case #{case_id} is {case.state.value} and cannot become {to.value}")
        kind = next(k for k, s in STATE_EVENTS.items() if s is to)
        self.log.add_event(case_id, actor, kind, note, self.clock())
        return self.get(case_id)

    def note(self, case_id: int, actor: str, text: str, kind: str = "note") -> Case:
        """Add a note (or an appeal, a report…) without changing the state."""
        self.get(case_id)
        self.log.add_event(case_id, actor, kind, text, self.clock())
        return self.get(case_id)

    def pardon(self, case_id: int, actor: str, note: str | None = None) -> Case:
        """Take the strike back while keeping the case's state."""
        case = self.get(case_id)
        if not case.strike_counts:
            raise CaseError(f"case #{case_id} has no strike to pardon")
        self.log.add_event(case_id, actor, "pardoned", note, self.clock())
        return self.get(case_id)

    def chronology(self, person: str) -> list[Case]:
        """Every case about one parent (by display name or pseudonym), oldest first."""
        wanted = person.strip().casefold()
        found = [
            Case(i, state_of(i.events))
            for i in self.log.incidents()
            if wanted in (i.person.display_name.casefold(), i.person.pseudonym)
        ]
        if not found:
            raise CaseError(f"no cases about {person!r}")
        return found
