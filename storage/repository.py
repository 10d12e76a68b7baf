"""The queries the moderation domain needs, over one SQLAlchemy session factory."""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.db import session_factory
from storage.models import Incident, IncidentEvent, KeyValue, MessageCount, OutboxItem, Person

#: Event kinds that take a strike off the parent's record.
PARDONING_EVENTS = ("false_positive", "pardoned")

PSEUDONYM_KEY_ENV = "CLASSGUARD_PSEUDONYM_KEY"


def group_key(platform: str, group_id: str) -> str:
    """One string naming a group across platforms, for counters."""
    return f"{platform}:{group_id}"


class DuplicateIncident(Exception):
    """The same platform message (and revision) was recorded before."""


class IncidentLog:
    """Reads and appends to the incident log; never edits an incident."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self._key: bytes | None = None

    # -- identities -------------------------------------------------------
    def _pseudonym_key(self) -> bytes:
        """The HMAC key: from the environment, else generated once and kept in the database."""
        if self._key is None:
            from_env = os.environ.get(PSEUDONYM_KEY_ENV)
            if from_env:
                self._key = from_env.encode()
            else:
                self._key = self._stored_key().encode()
        return self._key

    def _stored_key(self) -> str:
        with self.sessions.begin() as session:
            row = session.get(KeyValue, "pseudonym_key")
            if row is not None:
                return row.value
            session.add(KeyValue(key="pseudonym_key", value=secrets.token_hex(32)))
        with self.sessions() as session:
            stored = session.get(KeyValue, "pseudonym_key")
            assert stored is not None
            return stored.value

    def pseudonym(self, platform: str, sender_id: str) -> str:
        """A stable keyed hash of a platform identity; the raw id is never stored."""
        digest = hmac.new(self._pseudonym_key(), f"{platform}:{sender_id}".encode(), "sha256")
        return digest.hexdigest()

    def person(self, session: Session, pseudonym: str, display_name: str, now: datetime) -> Person:
        """The person with this pseudonym, created on first sight."""
        found = session.scalar(select(Person).where(Person.pseudonym == pseudonym))
        if found is not None:
            if display_name and found.display_name != display_name:
                found.display_name = display_name
            return found
        person = Person(pseudonym=pseudonym, display_name=display_name, first_seen=now)
        session.add(person)
        session.flush()
        return person

    # -- incidents --------------------------------------------------------
    def find_by_dedupe_key(self, key: str) -> Incident | None:
        """The incident recorded for a platform message revision, if any."""
        with self.sessions() as session:
            return session.scalar(select(Incident).where(Incident.dedupe_key == key))

    def message_flagged_before(self, platform: str, group_id: str, message_ref: str) -> bool:
        """Whether any revision of this platform message already has an incident."""
        query = select(Incident.id).where(
            Incident.platform == platform,
            Incident.group_id == group_id,
            Incident.message_ref == message_ref,
        )
        with self.sessions() as session:
            return session.scalar(query.limit(1)) is not None

    def strikes(
        self, pseudonym: str, since: datetime, until: datetime, *, observed: bool = False
    ) -> list[Incident]:
        """Strikes in ``[since, until]`` that no false-positive or pardon has taken back.

        Strikes recorded in observe mode (nobody was told) are a separate, simulated
        ladder: ``observed=True`` counts only those, otherwise only the real ones, so a
        parent is never escalated for breaches they were never warned about.
        """
        mode_matches = Incident.mode == "observe" if observed else Incident.mode != "observe"
        pardoned = select(IncidentEvent.incident_id).where(IncidentEvent.kind.in_(PARDONING_EVENTS))
        query = (
            select(Incident)
            .join(Person)
            .where(
                Person.pseudonym == pseudonym,
                Incident.strike == 1,
                Incident.sent_at >= since,
                Incident.sent_at <= until,
                mode_matches,
                Incident.id.not_in(pardoned),
            )
            .order_by(Incident.sent_at)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def record(
        self,
        incident: Incident,
        pseudonym: str,
        display_name: str,
        outbox_for: Callable[[int], Sequence[OutboxItem]],
        now: datetime,
    ) -> Incident:
        """Write an incident, its opening event and its notifications in one transaction.

        ``outbox_for`` receives the new incident's id (notifications cite the case
        number) and returns the notifications to queue. Raises
        :class:`DuplicateIncident` if the message was recorded already, even by
        another worker at the same moment.
        """
        try:
            with self.sessions.begin() as session:
                incident.person = self.person(session, pseudonym, display_name, now)
                session.add(incident)
                session.flush()
                opened = IncidentEvent(
                    incident_id=incident.id, at=now, actor="classguard", kind="opened"
                )
                session.add(opened)
                for item in outbox_for(incident.id):
                    item.incident_id = incident.id
                    session.add(item)
                key = group_key(incident.platform, incident.group_id)
                self._count(session, key, incident.sent_at.date(), flagged=True)
        except IntegrityError as exc:
            if self.find_by_dedupe_key(incident.dedupe_key) is not None:
                raise DuplicateIncident(incident.dedupe_key) from exc
            raise
        return incident

    def incident(self, incident_id: int) -> Incident | None:
        """One incident with its person and events."""
        with self.sessions() as session:
            return session.scalar(
                select(Incident)
                .where(Incident.id == incident_id)
                .options(selectinload(Incident.events), selectinload(Incident.person))
            )

    def incidents(self, since: datetime | None = None) -> list[Incident]:
        """Incidents (oldest first), with people and events loaded."""
        query = select(Incident).options(
            selectinload(Incident.events), selectinload(Incident.person)
        )
        if since is not None:
            query = query.where(Incident.recorded_at >= since)
        with self.sessions() as session:
            return list(session.scalars(query.order_by(Incident.id)))

    def add_event(
        self, incident_id: int, actor: str, kind: str, note: str | None, now: datetime
    ) -> IncidentEvent:
        """Append an event to an incident's history."""
        with self.sessions.begin() as session:
            event = IncidentEvent(
                incident_id=incident_id, at=now, actor=actor, kind=kind, note=note
            )
            session.add(event)
        return event

    # -- counters ---------------------------------------------------------
    def count_message(self, group_id: str, day: date) -> None:
        """Count an acceptable message; nothing else about it is kept."""
        with self.sessions.begin() as session:
            self._count(session, group_id, day, flagged=False)

    def _count(self, session: Session, group_id: str, day: date, *, flagged: bool) -> None:
        values = {"total": MessageCount.total + 1}
        if flagged:
            values["flagged"] = MessageCount.flagged + 1
        changed = session.execute(
            update(MessageCount)
            .where(MessageCount.group_id == group_id, MessageCount.day == day)
            .values(values)
        )
        if getattr(changed, "rowcount", 0) == 0:
            try:
                with session.begin_nested():
                    session.add(
                        MessageCount(group_id=group_id, day=day, total=1, flagged=int(flagged))
                    )
            except IntegrityError:
                session.execute(
                    update(MessageCount)
                    .where(MessageCount.group_id == group_id, MessageCount.day == day)
                    .values(values)
                )

    def counts(self, since: date, until: date) -> list[MessageCount]:
        """Daily message counts in ``[since, until)``."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(MessageCount).where(MessageCount.day >= since, MessageCount.day < until)
                )
            )

    # -- outbox -----------------------------------------------------------
    def outbox(self, statuses: Iterable[str] | None = None) -> list[OutboxItem]:
        """Outbox items, oldest first, optionally only those in ``statuses``."""
        query = select(OutboxItem).order_by(OutboxItem.id)
        if statuses is not None:
            query = query.where(OutboxItem.status.in_(list(statuses)))
        with self.sessions() as session:
            return list(session.scalars(query))
