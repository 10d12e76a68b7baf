"""WhatsApp chat exports (.txt) from Android and iOS, streamed line by line.

Android: ``30/12/2021, 22:01 - Name: text``; iOS: ``[30/12/2021, 22:01:05] Name: text``.
A line that does not start with a timestamp continues the message before it.
Whether dates are day- or month-first is decided by a first pass over the whole
file, so even a 200 MB export is never held in memory.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from moderation.exports.dates import STAMP, order_vote, timestamp
from moderation.exports.model import Export, ExportedMessage, ExportError
from moderation.exports.whatsapp_body import parse_body

#: Line starts by format name; a left-to-right mark may precede either.
STYLES = {
    "whatsapp-android": re.compile(rf"\u200e?{STAMP} - (?P<rest>.*)"),
    "whatsapp-ios": re.compile(rf"\u200e?\[{STAMP}\] (?P<rest>.*)"),
}


def whatsapp_format(head: str) -> str | None:
    """The format whose line start the first non-blank line has, if any."""
    first = next((line for line in head.splitlines() if line.strip()), "")
    return next((name for name, start in STYLES.items() if start.match(first)), None)


class WhatsAppExport(Export):
    """A WhatsApp .txt export; ``skipped`` counts the lines of unreadable messages."""

    def __init__(self, path: Path, fmt: str, encoding: str) -> None:
        super().__init__(path, fmt)
        self._encoding = encoding
        self._start = STYLES[fmt]

    def messages(self) -> Iterator[ExportedMessage]:
        self.skipped = 0
        month_first = self._month_first()
        for start, more in self._entries():
            try:
                when = timestamp(start, month_first)
            except ValueError:  # a date that does not exist, e.g. 31/02
                self.skipped += 1 + len(more)
                continue
            body = parse_body(start["rest"], more)
            if body is not None:
                author, text, media = body
                yield ExportedMessage(timestamp=when, author=author, text=text, media=media)

    def _month_first(self) -> bool:
        """Month-first if more lines prove it than prove day-first; day-first on a tie (UK)."""
        votes = Counter(order_vote(m) for line in self._lines() if (m := self._start.match(line)))
        return votes["month"] > votes["day"]

    def _entries(self) -> Iterator[tuple[re.Match[str], list[str]]]:
        """Each message's first line (matched) with its continuation lines."""
        start: re.Match[str] | None = None
        more: list[str] = []
        for line in self._lines():
            if match := self._start.match(line):
                if start:
                    yield start, more
                start, more = match, []
            elif start:
                more.append(line)
        if start:
            yield start, more

    def _lines(self) -> Iterator[str]:
        try:
            with self.path.open(encoding=self._encoding, errors="replace") as handle:
                for line in handle:
                    yield line.rstrip("\n")
        except OSError as exc:
            raise ExportError(self.path, f"cannot be read ({exc.strerror or exc})") from None
