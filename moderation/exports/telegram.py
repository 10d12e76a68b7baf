"""Telegram Desktop's JSON export (result.json), of one chat or of the whole account.

The file is loaded whole: Telegram exports are far smaller than the WhatsApp
exports that need streaming, and JSON cannot be read line by line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from moderation.exports.model import Export, ExportedMessage, ExportError
from moderation.message import MediaKind

#: ``media_type`` of a ``file``; any other file is a document.
FILE_KINDS = {
    "video_file": MediaKind.VIDEO,
    "animation": MediaKind.VIDEO,
    "video_message": MediaKind.VIDEO,
    "voice_message": MediaKind.AUDIO,
    "audio_file": MediaKind.AUDIO,
    "sticker": MediaKind.STICKER,
}


class TelegramExport(Export):
    """A parsed result.json; ``skipped`` counts entries that are not readable messages."""

    def __init__(self, path: Path, chats: list[list[Any]]) -> None:
        super().__init__(path, "telegram-json")
        self._chats = chats

    @classmethod
    def load(cls, path: Path, encoding: str) -> TelegramExport:
        """Parse the file; ExportError if it is not JSON or has no Telegram messages."""
        try:
            data = json.loads(path.read_text(encoding=encoding, errors="replace"))
        except OSError as exc:
            raise ExportError(path, f"cannot be read ({exc.strerror or exc})") from None
        except json.JSONDecodeError as exc:
            raise ExportError(
                path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        chats = _chat_messages(data)
        if chats is None:
            raise ExportError(path, 'JSON without Telegram "messages"; expected result.json')
        return cls(path, chats)

    def messages(self) -> Iterator[ExportedMessage]:
        self.skipped = 0
        for entries in self._chats:
            for entry in entries:
                if isinstance(entry, dict) and entry.get("type") == "service":
                    continue  # joins, pins, title changes: not messages
                try:
                    yield _message(entry)
                except (KeyError, TypeError, ValueError):
                    self.skipped += 1


def _chat_messages(data: Any) -> list[list[Any]] | None:
    """The message lists of a single-chat export or of every chat in a full export."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("messages"), list):
        return [data["messages"]]
    chats = data.get("chats")
    listed = chats.get("list") if isinstance(chats, dict) else None
    if not isinstance(listed, list):
        return None
    return [
        chat["messages"]
        for chat in listed
        if isinstance(chat, dict) and isinstance(chat.get("messages"), list)
    ]


def _message(entry: Any) -> ExportedMessage:
    """One ``type: "message"`` entry; KeyError, TypeError or ValueError if malformed."""
    if entry["type"] != "message":
        raise ValueError(f"not a message: {entry['type']!r}")
    author = entry.get("from") or "Deleted Account"  # null for a deleted account
    if not isinstance(author, str):
        raise TypeError("from is not a name")
    text = _text(entry.get("text", ""))
    media = _media(entry)
    return ExportedMessage(
        timestamp=datetime.fromisoformat(entry["date"]),
        author=author,
        text=text,
        # Without text or a file, a message carries a poll, contact, location or the like.
        media=media if media or text else MediaKind.OTHER,
    )


def _text(value: Any) -> str:
    """``text`` as a string, or a list of strings and entities ``{"type", "text"}``."""
    parts = value if isinstance(value, list) else [value]
    texts = [part if isinstance(part, str) else part["text"] for part in parts]
    if not all(isinstance(text, str) for text in texts):
        raise TypeError("text is not a string")
    return "".join(texts)


def _media(entry: dict[str, Any]) -> MediaKind | None:
    if "photo" in entry:
        return MediaKind.PHOTO
    if "file" in entry:
        return FILE_KINDS.get(entry.get("media_type", ""), MediaKind.DOCUMENT)
    return None
