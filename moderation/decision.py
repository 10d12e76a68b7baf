"""The pipeline's answer for one message: what was breached and the actions, as data."""

from __future__ import annotations

from dataclasses import dataclass, field

from classifiers.categories import Category, Severity
from classifiers.judgement import Evidence
from config.schema import Clause, Mode
from moderation.actions import Action


@dataclass(frozen=True, slots=True)
class Decision:
    """What ClassGuard decided about one message.

    ``actions`` are what the adapter must carry out. In ``observe`` mode they are
    empty and ``would_have`` holds what a ``warn``/``enforce`` group would have seen.
    ``duplicate`` is true when the same platform message was decided before, in which
    case nothing is to be done again.
    """

    categories: tuple[Category, ...] = ()
    severity: Severity = Severity.NONE
    clause: Clause | None = None
    scores: dict[Category, float] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    actions: tuple[Action, ...] = ()
    would_have: tuple[Action, ...] = ()
    mode: Mode = Mode.OBSERVE
    incident_id: int | None = None
    strike: int = 0
    step: str = "none"
    duplicate: bool = False

    @property
    def flagged(self) -> bool:
        """Whether the message breached the code of conduct."""
        return bool(self.categories)
