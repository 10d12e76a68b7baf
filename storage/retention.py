"""Deleting personal data once the school's retention period has passed.

Incidents and their events are otherwise append-only (see :mod:`storage.models`):
nothing edits or removes them. Retention deletion is the one exception. UK GDPR
requires that personal data is kept no longer than needed, and the school
promises parents that records are kept for up to ``school.retention_days`` days,
so once that period has passed the records go, and only then.

An incident expires when its newest event (or, without events, its recording)
is older than the retention period: a case still being worked on stays. With it
go its events, its notifications in the outbox, pending warnings and member
references; then any person left without an incident. Outbox items older than
the period go too, whatever their status and even without an incident: a
notification that has waited that long unsent is expired personal data itself,
and too late to be of use. Parents' platform ids kept for an alert and WhatsApp
message records older than the period are deleted as well.

Kept: daily message counts (aggregates without personal data), the key-value
store (it holds the pseudonym key), group bindings, digest runs (their link to
a deleted digest is cleared) and the scheduler's jobs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, exists, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Executable

from storage.models import (
    DigestRun,
    Incident,
    IncidentEvent,
    MemberRef,
    OutboxItem,
    PendingWarning,
    Person,
    WhatsAppMessage,
)
from storage.repository import IncidentLog


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """How many rows a purge deleted (or, in a dry run, would delete), by table."""

    incidents: int = 0
    incident_events: int = 0
    outbox: int = 0
    pending_warnings: int = 0
    member_refs: int = 0
    people: int = 0
    whatsapp_messages: int = 0

    @property
    def total(self) -> int:
        """Rows in all tables together."""
        return sum(self.by_table().values())

    def by_table(self) -> dict[str, int]:
        """The counts keyed by table name, in deletion-report order."""
        return asdict(self)


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    """Incidents recorded before ``cutoff`` with no event since."""
    later = aliased(IncidentEvent)
    recent = (
        select(later.id)
        .where(later.incident_id == Incident.id, later.at >= cutoff)
        .correlate(Incident)
    )
    return and_(Incident.recorded_at < cutoff, ~exists(recent))


def _rows(conn: Connection, statement: Executable) -> int:
    """Run a deletion; how many rows it removed."""
    result = conn.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def _purge(conn: Connection, cutoff: datetime) -> PurgeCounts:
    """Delete everything expired at ``cutoff``, children before parents."""
    expired_ids = select(Incident.id).where(_expired(cutoff)).correlate(None).scalar_subquery()
    doomed_outbox = (
        select(OutboxItem.id)
        .where(
            or_(
                OutboxItem.incident_id.in_(expired_ids),
                and_(
                    OutboxItem.created_at < cutoff,
                    or_(OutboxItem.sent_at.is_(None), OutboxItem.sent_at < cutoff),
                ),
            )
        )
        .correlate(None)
        .scalar_subquery()
    )
    pending_warnings = _rows(
        conn,
        delete(PendingWarning).where(
            or_(
                PendingWarning.outbox_id.in_(doomed_outbox),
                PendingWarning.incident_id.in_(expired_ids),
            )
        ),
    )
    conn.execute(
        update(DigestRun).where(DigestRun.outbox_id.in_(doomed_outbox)).values(outbox_id=None)
    )
    outbox = _rows(conn, delete(OutboxItem).where(OutboxItem.id.in_(doomed_outbox)))
    member_refs = _rows(
        conn,
        delete(MemberRef).where(
            or_(MemberRef.incident_id.in_(expired_ids), MemberRef.created_at < cutoff)
        ),
    )
    events = _rows(conn, delete(IncidentEvent).where(IncidentEvent.incident_id.in_(expired_ids)))
    incidents = _rows(conn, delete(Incident).where(_expired(cutoff)))
    orphaned = ~exists(select(Incident.id).where(Incident.person_id == Person.id))
    people = _rows(conn, delete(Person).where(orphaned))
    whatsapp = _rows(conn, delete(WhatsAppMessage).where(WhatsAppMessage.judged_at < cutoff))
    return PurgeCounts(
        incidents=incidents,
        incident_events=events,
        outbox=outbox,
        pending_warnings=pending_warnings,
        member_refs=member_refs,
        people=people,
        whatsapp_messages=whatsapp,
    )


def purge_expired(
    target: Engine | IncidentLog,
    now: datetime,
    retention: timedelta,
    *,
    dry_run: bool = False,
) -> PurgeCounts:
    """Delete personal data older than ``retention`` at ``now``, in one transaction.

    ``dry_run`` runs the same deletions and rolls them back, so the counts are
    exactly what a real purge would delete at that moment.
    """
    if now.tzinfo is None:
        raise ValueError("purge_expired needs a timezone-aware time")
    engine = target.engine if isinstance(target, IncidentLog) else target
    with engine.connect() as conn:
        counts = _purge(conn, now - retention)
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
    return counts
