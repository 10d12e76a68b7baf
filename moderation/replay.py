"""Turning an exported chat into messages for the pipeline (the export "adapter").

Exports carry display names, not platform ids, so the author's name stands in
for the sender id (it is pseudonymised like any other id). Message ids are the
message's position in the file, so scanning the same export twice is recognised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from moderation.exports import ExportedMessage
from moderation.message import Message, Platform


def export_messages(
    exported: Iterable[ExportedMessage], group_id: str, timezone: str = "Europe/London"
) -> Iterator[Message]:
    """Platform-neutral messages from an export's messages, times in the school's zone."""
    zone = ZoneInfo(timezone)
    for position, item in enumerate(exported, 1):
        sent = item.timestamp if item.timestamp.tzinfo else item.timestamp.replace(tzinfo=zone)
        yield Message(
            platform=Platform.EXPORT,
            group_id=group_id,
            message_id=str(position),
            sender_id=item.author,
            sender_name=item.author,
            text=item.text,
            sent_at=sent,
            media=item.media,
        )
