"""Reading the chat exports a school audits: WhatsApp .txt and Telegram result.json.

``open_export`` recognises the format from the file's content, not its name, and
raises :class:`ExportError` (one line naming the file) for anything it cannot read.
"""

from __future__ import annotations

from pathlib import Path

from moderation.exports.decoding import sniff
from moderation.exports.model import Export, ExportedMessage, ExportError
from moderation.exports.telegram import TelegramExport
from moderation.exports.whatsapp import WhatsAppExport, whatsapp_format

__all__ = ["Export", "ExportError", "ExportedMessage", "open_export"]


def open_export(path: Path) -> Export:
    """The export at ``path``: a WhatsApp chat (Android or iOS) or a Telegram result.json."""
    encoding, head = sniff(path)
    if head.lstrip().startswith("{"):
        return TelegramExport.load(path, encoding)
    fmt = whatsapp_format(head)
    if fmt is None:
        raise ExportError(
            path, "not a recognised chat export; expected a WhatsApp .txt or Telegram result.json"
        )
    return WhatsAppExport(path, fmt, encoding)
