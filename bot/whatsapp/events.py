"""Twilio Conversations webhook requests, read and checked.

The pre-event ``onMessageAdd`` arrives before a message is published and has no
message SID yet; the post-event ``onMessageAdded`` arrives after, with its SID
(``IM…``), its index and its creation time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from moderation.message import MediaKind

PRE_EVENT = "onMessageAdd"
POST_EVENT = "onMessageAdded"

CONVERSATION_SID = re.compile(r"^CH[0-9a-fA-F]{32}$")
MESSAGE_SID = re.compile(r"^IM[0-9a-fA-F]{32}$")


class MalformedEvent(ValueError):
    """A webhook request that is not a well-formed Conversations message event."""


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One attachment: its SID and content type."""

    sid: str
    content_type: str


@dataclass(frozen=True, slots=True)
class ConversationEvent:
    """A message event in a class group's Conversation."""

    event_type: str
    conversation_sid: str
    service_sid: str | None
    participant_sid: str | None
    author: str
    body: str
    media: tuple[MediaItem, ...]
    message_sid: str | None
    date_created: datetime | None
    retry_count: int

    @property
    def media_kind(self) -> MediaKind | None:
        """What the first attachment is, if there is one."""
        if not self.media:
            return None
        kind = self.media[0].content_type.split("/", 1)[0].lower()
        return {
            "image": MediaKind.PHOTO,
            "video": MediaKind.VIDEO,
            "audio": MediaKind.AUDIO,
            "application": MediaKind.DOCUMENT,
            "text": MediaKind.DOCUMENT,
        }.get(kind, MediaKind.OTHER)


def _media(raw: str) -> tuple[MediaItem, ...]:
    if not raw.strip():
        return ()
    try:
        items = json.loads(raw)
    except ValueError:
        raise MalformedEvent("Media is not JSON") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedEvent("Media is not a list of attachments")
    return tuple(
        MediaItem(
            str(i.get("Sid") or i.get("sid") or ""),
            str(i.get("ContentType") or i.get("content_type") or ""),
        )
        for i in items
    )


def _when(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedEvent("DateCreated is not a timestamp") from None
    return when if when.tzinfo is not None else None


def parse_event(form: Mapping[str, str]) -> ConversationEvent:
    """Read a message event, or raise :class:`MalformedEvent` naming the bad field."""
    event_type = form.get("EventType", "")
    if event_type not in (PRE_EVENT, POST_EVENT):
        raise MalformedEvent(f"not a message event: {event_type or 'no EventType'}")
    conversation = form.get("ConversationSid", "")
    if not CONVERSATION_SID.match(conversation):
        raise MalformedEvent("ConversationSid is missing or malformed")
    author = form.get("Author", "").strip()
    if not author:
        raise MalformedEvent("Author is missing")
    message_sid = form.get("MessageSid") or None
    if event_type == POST_EVENT and (message_sid is None or not MESSAGE_SID.match(message_sid)):
        raise MalformedEvent("MessageSid is missing or malformed")
    try:
        retries = int(form.get("RetryCount") or 0)
    except ValueError:
        raise MalformedEvent("RetryCount is not a number") from None
    return ConversationEvent(
        event_type=event_type,
        conversation_sid=conversation,
        service_sid=form.get("ChatServiceSid") or None,
        participant_sid=form.get("ParticipantSid") or None,
        author=author,
        body=form.get("Body", ""),
        media=_media(form.get("Media", "")),
        message_sid=message_sid,
        date_created=_when(form.get("DateCreated", "")),
        retry_count=retries,
    )
