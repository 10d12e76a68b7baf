"""Cases as moderators read them in Telegram: a list, and one case in full."""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.categories import Severity
from config.schema import Group
from moderation.cases import Case

#: How many cases ``/cases`` lists before saying how many more there are.
LIST_LIMIT = 20


def _when(case: Case) -> str:
    return f"{case.incident.sent_at:%-d %b %H:%M}"


def case_line(case: Case) -> str:
    """One line of ``/cases``."""
    incident = case.incident
    strike = "" if case.strike_counts else " (no strike)"
    return (
        f"#{case.id} {_when(case)} · {incident.person.display_name} · "
        f"clause {incident.clause_id} · {case.state.value}{strike}"
    )


def case_list(cases: Sequence[Case], groups: Sequence[Group], *, everything: bool) -> str:
    """The reply to ``/cases``: newest first, per group."""
    names = {g.chat_id: g.name for g in groups}
    if not cases:
        return "No open cases." if not everything else "No cases yet."
    lines = ["All cases:" if everything else "Open cases:"]
    for case in cases[:LIST_LIMIT]:
        lines.append(f"{case_line(case)} · {names.get(case.incident.group_id, '')}".rstrip(" ·"))
    if len(cases) > LIST_LIMIT:
        lines.append(f"…and {len(cases) - LIST_LIMIT} more.")
    lines.append("/case N shows one in full.")
    return "\n".join(lines)


def case_detail(case: Case, group: Group | None) -> str:
    """The reply to ``/case N``."""
    incident = case.incident
    lines = [
        f"Case #{case.id}: {case.state.value}"
        + ("" if case.strike_counts else " (its strike does not count)"),
        f"Group: {group.name if group else incident.group_id}",
        f"Parent: {incident.person.display_name}",
        f"Sent: {incident.sent_at:%-d %B %Y %H:%M} UTC",
        f"Clause {incident.clause_id} · {Severity(incident.severity).label} · "
        + ", ".join(incident.categories),
        f'Message: "{incident.text[:600]}"' if incident.text else "Message: (media only)",
    ]
    if incident.evidence:
        lines.append("Why: " + "; ".join(str(e.get("detail", "")) for e in incident.evidence[:4]))
    if incident.advice:
        lines.append(f"Advice: {incident.advice}")
    lines.append("History:")
    for event in incident.events:
        note = f": {event.note}" if event.note else ""
        lines.append(f"- {event.at:%-d %b %H:%M} {event.kind} by {event.actor}{note}")
    return "\n".join(lines)
