"""The incident log's tables.

Incidents and their events are append-only: a correction (false positive,
pardon, note) is a new :class:`IncidentEvent`, never an edit. The one deletion is
the purge past the school's retention period (:mod:`storage.retention`). Only the
text of flagged messages is stored; acceptable messages leave a daily count alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware, on every database.

    SQLite keeps no offset, so without this an aware time written would come
    back naive and comparisons would silently mix local and UTC times.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("ClassGuard stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations are portable."""

    metadata = MetaData(naming_convention=NAMING)


class Person(Base):
    """A parent, known by a keyed hash of their platform id, never the id itself."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class Incident(Base):
    """One flagged message and the judgement made of it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[str] = mapped_column(String(100), index=True)
    message_ref: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    text: Mapped[str] = mapped_column(Text)
    media: Mapped[str | None] = mapped_column(String(20))
    categories: Mapped[list[str]] = mapped_column(JSON)
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    severity: Mapped[int] = mapped_column(Integer)
    clause_id: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10))
    strike: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(40))
    advice: Mapped[str | None] = mapped_column(String(100))

    person: Mapped[Person] = relationship()
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id"
    )


class IncidentEvent(Base):
    """Something that happened to an incident: opened, confirmed, pardoned, a note…"""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="events")


class OutboxItem(Base):
    """A notification written with its incident and sent later by a worker with retries."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    platform: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    #: The platform address to deliver to (a parent's chat id); cleared once sent.
    recipient: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Low-severity alerts for one group share a key and go out together.
    batch_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MessageCount(Base):
    """How many messages a group saw on a day, and how many were flagged."""

    __tablename__ = "message_counts"
    __table_args__ = (UniqueConstraint("group_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    flagged: Mapped[int] = mapped_column(BigInteger, default=0)


class KeyValue(Base):
    """Small pieces of installation state, such as a generated pseudonym key."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class GroupBinding(Base):
    """A group's settings made in the chat rather than in the config file.

    An admin binds a group the config does not list (``/setup``), which makes
    them its moderator until the school adds the group to the config; an admin
    may also override any group's mode (``/mode``). Who did it and when is kept.
    """

    __tablename__ = "group_bindings"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    bound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bound_by: Mapped[str | None] = mapped_column(String(200))
    #: The binding admin's platform address: alerts for the group go to them.
    moderator_address: Mapped[str | None] = mapped_column(String(200))
    mode: Mapped[str | None] = mapped_column(String(10))
    mode_set_by: Mapped[str | None] = mapped_column(String(200))
    mode_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PendingWarning(Base):
    """A private warning waiting until its parent opens a chat with the bot.

    The parent is known by pseudonym only: whoever opens the link must be that
    parent. The row is deleted once the warning is delivered, or when it expires.
    """

    __tablename__ = "pending_warnings"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    platform: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[str] = mapped_column(String(100))
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    #: The in-group notice pointing the parent to the warning, once posted.
    notice_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberRef(Base):
    """A parent's platform address, kept only until the moderators' alert carries it.

    Removing someone from a group needs their real id, which the incident log
    never stores; the alert's "Remove from group" button carries it instead.
    """

    __tablename__ = "member_refs"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WhatsAppMessage(Base):
    """A WhatsApp class-group message ClassGuard judged, linking Twilio's two webhooks for it.

    Twilio asks before a message is published, when it has no message SID yet, and
    tells afterwards, with the SID. This row lets the second webhook find what the
    first decided, so a message is judged, counted and recorded once. The content
    key is a keyed hash, never the text; rows of acceptable messages are deleted
    after a day. ``incident_id`` is a plain number, not a foreign key, so that the
    retention purge can delete incidents without touching this table first.
    """

    __tablename__ = "whatsapp_messages"
    __table_args__ = (Index("ix_whatsapp_messages_content", "conversation_sid", "content_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_sid: Mapped[str] = mapped_column(String(40))
    content_key: Mapped[str] = mapped_column(String(64))
    #: The message id the pipeline was given (and an incident, if any, carries).
    message_ref: Mapped[str] = mapped_column(String(100), unique=True)
    #: Twilio's message SID (IM...), once the post-event webhook has told it.
    message_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    incident_id: Mapped[int | None] = mapped_column(Integer)
    #: Refused by the pre-event webhook: it was never published.
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DigestRun(Base):
    """A week whose scheduled SLT digest has been queued; at most one row per week.

    Several workers may share one database and each runs the weekly schedule:
    the one that inserts the week's row queues the digest, the others stand down.
    """

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The ISO week in the school's timezone, e.g. ``2026-W47``.
    week: Mapped[str] = mapped_column(String(8), unique=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
