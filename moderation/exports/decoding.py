"""Which text encoding an export is in, judged from its first bytes.

Phones write UTF-8 (sometimes with a byte-order mark) or UTF-16 (with a BOM, or
without one on some Android phones). A file that is neither may be an export
re-saved on a UK Windows PC (in Notepad, say) in Windows-1252; charset-normalizer
judges whether its bytes read as plausible text in that code page, and anything
that does not is refused as binary.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from charset_normalizer import from_bytes

from moderation.exports.model import ExportError

#: How much of the file is read to choose the encoding and recognise the format.
HEAD_BYTES = 64 * 1024

NOT_TEXT = (
    "not a text file (binary data, or an unknown encoding); "
    "expected a WhatsApp .txt or Telegram result.json"
)


def sniff(path: Path) -> tuple[str, str]:
    """The codec to read ``path`` with, and the decoded text of its first bytes.

    The codec consumes any byte-order mark itself, so readers need not strip it.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise ExportError(path, f"cannot be read ({exc.strerror or exc})") from None
    # Incremental decoders, as the head may end part-way through a character.
    if encoding := _utf16_encoding(head):
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    else:
        try:
            encoding, text = "utf-8-sig", codecs.getincrementaldecoder("utf-8-sig")().decode(head)
        except UnicodeDecodeError:
            encoding, text = _not_utf8(path, head)
    if not text.strip() and len(head) < HEAD_BYTES:
        raise ExportError(path, "file is empty")
    if "\x00" in text:
        raise ExportError(path, NOT_TEXT)
    return encoding, text


def _utf16_encoding(head: bytes) -> str | None:
    """UTF-16 from its BOM, or from the NUL high bytes of mostly-Latin text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 8 and even * 10 < odd:
        return "utf-16-le"
    if even > len(sample) // 8 and odd * 10 < even:
        return "utf-16-be"
    return None


def _not_utf8(path: Path, head: bytes) -> tuple[str, str]:
    """UTF-8 with a few bad bytes, Windows-1252, or an error for anything else.

    Text with real multi-byte UTF-8 characters is UTF-8 whose bad bytes will read
    as U+FFFD; Windows-1252 text almost never forms them by chance.
    """
    lenient = head.decode("utf-8", errors="replace")
    if any(ord(char) > 0x7F and char != "\ufffd" for char in lenient):
        return "utf-8-sig", lenient.removeprefix("\ufeff")
    best = from_bytes(head, cp_isolation=["cp1252"]).best()
    if best is None:
        raise ExportError(path, NOT_TEXT)
    return best.encoding, str(best)
