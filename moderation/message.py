"""The platform-neutral message every adapter produces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from classifiers.normalise import well_formed


class Platform(StrEnum):
    """Where a message came from."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    EXPORT = "export"


class MediaKind(StrEnum):
    """What non-text content a message carries."""

    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    AUDIO = "audio"
    STICKER = "sticker"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Message:
    """One message in a class group, as every adapter hands it to the pipeline.

    ``revision`` distinguishes an edited message from its original, so an edit is
    judged again while a duplicate delivery of the same revision is not. ``text`` and
    ``sender_name`` are made well formed (:func:`~classifiers.normalise.well_formed`), so
    that a half emoji from any platform can be judged, stored and shown.
    """

    platform: Platform
    group_id: str
    message_id: str
    sender_id: str
    sender_name: str
    text: str
    sent_at: datetime
    media: MediaKind | None = None
    reply_to: str | None = None
    revision: int = 0
    image: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("text", "sender_name"):
            object.__setattr__(self, name, well_formed(getattr(self, name)))
