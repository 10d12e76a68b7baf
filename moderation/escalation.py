"""The escalation ladder and its short-cuts, as a pure function of the facts.

The schools' codes of conduct describe a proportionate ladder (a word, a letter
inviting the parent to a meeting, a letter asking them to stop, removal) and
short-cuts for the serious cases (police for threats and harassment, legal advice
for libel). The rungs and their strike counts come from the school's config.
"""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.categories import Category, Severity
from config.schema import Escalation, Mode

POLICE_ADVICE = "consider police referral"
LEGAL_ADVICE = "consider legal advice"

#: Ladder actions in rung order; each rung includes everything below it.
RUNGS = ("warn", "alert_moderators", "meeting_letter", "stop_letter", "removal")

LETTERS = {
    "meeting_letter": "Invitation to a meeting",
    "stop_letter": "Request to stop",
    "removal": "Notice of removal",
}


@dataclass(frozen=True, slots=True)
class Plan:
    """Which kinds of action one breach calls for (texts are rendered later)."""

    step: str
    warn: bool = False
    delete: bool = False
    alert_moderators: bool = False
    urgent: bool = False
    escalate: bool = False
    letter: str | None = None
    advice: str | None = None
    alert_office: bool = False
    recommend_removal: bool = False


def ladder_step(strike: int, config: Escalation) -> str:
    """The ladder's rung for a parent's ``strike``-th breach in the window."""
    step = "warn"
    for rung in config.ladder:
        if strike >= rung.strikes:
            step = rung.action
    return step


def plan(
    categories: tuple[Category, ...],
    severity: Severity,
    strike: int,
    mode: Mode,
    config: Escalation,
) -> Plan:
    """What one breach calls for.

    ``strike`` counts this breach (1 for a first); 0 means the message was judged
    before (an edit of a flagged message) and adds nothing to the ladder.
    """
    if not categories:
        return Plan(step="none")
    step = ladder_step(strike, config) if strike else "edit"
    rank = RUNGS.index(step) if step in RUNGS else 0
    advice = None
    if Category.THREAT in categories or Category.DISCRIMINATION in categories:
        advice = POLICE_ADVICE
    elif Category.DEFAMATION in categories:
        advice = LEGAL_ADVICE
    letter = step if step in LETTERS else None
    return Plan(
        step=step,
        warn=True,
        delete=mode is Mode.ENFORCE and severity >= Severity.HIGH,
        alert_moderators=rank >= 1 or severity >= Severity.HIGH or advice is not None,
        urgent=severity >= Severity.CRITICAL,
        escalate=letter is not None or advice is not None,
        letter=letter,
        advice=advice,
        alert_office=Category.SECURITY in categories,
        recommend_removal=step == "removal",
    )
