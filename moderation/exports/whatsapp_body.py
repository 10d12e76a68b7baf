"""What follows a WhatsApp line's timestamp: a system notice, or an author's message.

Android writes notices without an author ("Sarah created group …"); iOS writes
them after the group's name and marks them, like its media placeholders, with a
left-to-right mark (U+200E), which a parent's own words never start with.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from moderation.message import MediaKind

LRM = "\u200e"
#: Direction marks phones wrap around names (phone numbers especially).
MARKS = "\u200e\u200f\u202a\u202b\u202c"

#: Notices whose group name or subject may contain ": ", which would otherwise
#: look like "Name: text". Any other line without "Name: " is a notice too.
COLON_NOTICE = re.compile(r"[^:]+ (?:created group|changed the (?:subject|group name))\b")
#: Notices written as an author's message, e.g. "Sarah: This message was deleted".
TEXT_NOTICE = re.compile(
    r"(?:This message was deleted(?: by admin .+)?|You deleted this message)\.?"
    r"|(?:Waiting for this message|Messages and calls are end-to-end encrypted)\b.*"
)
EDITED = re.compile(rf"\s*{LRM}?<This message was edited>$")

OMITTED = re.compile(
    rf"(?:.+ {LRM})?(?P<kind>image|video|GIF|audio|sticker|document|Contact card) omitted"
)
OMITTED_KINDS = {
    "image": MediaKind.PHOTO,
    "video": MediaKind.VIDEO,
    "GIF": MediaKind.VIDEO,
    "audio": MediaKind.AUDIO,
    "sticker": MediaKind.STICKER,
    "document": MediaKind.DOCUMENT,
    "Contact card": MediaKind.OTHER,
}
#: iOS "<attached: 00000012-PHOTO-….jpg>"; Android (export with media) "IMG-….jpg (file attached)".
ATTACHED = re.compile(r"<attached: (?P<name>[^>]+)>|(?P<file>.+\.\w{1,5}) \(file attached\)")
EXTENSIONS = {
    MediaKind.PHOTO: {".jpg", ".jpeg", ".png", ".heic"},
    MediaKind.VIDEO: {".mp4", ".mov", ".3gp", ".m4v"},
    MediaKind.AUDIO: {".opus", ".m4a", ".mp3", ".aac", ".ogg", ".amr", ".wav"},
    MediaKind.STICKER: {".webp"},
}


def parse_body(rest: str, more: list[str]) -> tuple[str, str, MediaKind | None] | None:
    """Author, text and media of a message, or None for a system notice.

    ``rest`` is the first line after the timestamp, ``more`` the continuation lines.
    """
    if COLON_NOTICE.match(rest):
        return None
    # iOS notices come after the group's name, which may itself contain ": ".
    author, marked, first = rest.partition(f": {LRM}")
    if not marked:
        author, colon, first = rest.partition(": ")
        if not colon:
            return None
    media = _placeholder(first)
    if media is None and (marked or TEXT_NOTICE.fullmatch(first)):
        return None
    text = "\n".join(more if media else [first, *more])
    return author.strip(MARKS), EDITED.sub("", text).rstrip("\n"), media


def _placeholder(line: str) -> MediaKind | None:
    """The media a placeholder line such as "<Media omitted>" stands for, if it is one.

    "<Media omitted>" (Android, exported without media) does not say what the media
    was, so it is OTHER rather than a guess at PHOTO that would count as a picture.
    """
    line = line.lstrip(LRM)
    if line == "<Media omitted>":
        return MediaKind.OTHER
    if omitted := OMITTED.fullmatch(line):
        return OMITTED_KINDS[omitted["kind"]]
    if attached := ATTACHED.fullmatch(line):
        suffix = PurePath(attached["name"] or attached["file"]).suffix.lower()
        return next((k for k, exts in EXTENSIONS.items() if suffix in exts), MediaKind.DOCUMENT)
    return None
