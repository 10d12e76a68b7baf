"""Actions as data: what the pipeline decides, and adapters carry out.

The core never performs an action itself; an adapter reads these and talks to
its platform. Each is immutable and serialisable to the outbox.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Action:
    """Base of every action; ``kind`` names it in the outbox."""

    kind: ClassVar[str] = "action"

    def to_payload(self) -> dict[str, Any]:
        """A JSON-ready dict that :func:`action_from_payload` turns back into the action."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class WarnPrivately(Action):
    """Send the parent a private, kind message that cites the clause."""

    kind: ClassVar[str] = "warn_privately"
    text: str


@dataclass(frozen=True, slots=True)
class DeleteMessage(Action):
    """Remove (or, on a pre-event webhook, refuse) the offending message."""

    kind: ClassVar[str] = "delete_message"


@dataclass(frozen=True, slots=True)
class AlertModerators(Action):
    """Tell the group's moderators, with the evidence and the parent's history."""

    kind: ClassVar[str] = "alert_moderators"
    text: str
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class EscalateToSLT(Action):
    """Tell senior leadership, optionally with a drafted letter for them to review."""

    kind: ClassVar[str] = "escalate_to_slt"
    text: str
    letter: str | None = None
    advice: str | None = None


@dataclass(frozen=True, slots=True)
class AlertOffice(Action):
    """Tell the school office at once (security breaches)."""

    kind: ClassVar[str] = "alert_office"
    text: str


@dataclass(frozen=True, slots=True)
class RecommendRemoval(Action):
    """Recommend that a moderator removes the parent from the group."""

    kind: ClassVar[str] = "recommend_removal"
    text: str


ACTION_TYPES: dict[str, type[Action]] = {
    cls.kind: cls
    for cls in (
        WarnPrivately,
        DeleteMessage,
        AlertModerators,
        EscalateToSLT,
        AlertOffice,
        RecommendRemoval,
    )
}


def action_from_payload(payload: dict[str, Any]) -> Action:
    """Rebuild an action from :meth:`Action.to_payload` output."""
    fields = dict(payload)
    cls = ACTION_TYPES[fields.pop("kind")]
    return cls(**fields)
