"""What every export parser produces: messages, errors, and the opened export."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from classifiers.normalise import well_formed
from moderation.message import MediaKind


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    """One message as the export wrote it.

    ``timestamp`` is naive: exports write the exporting phone's local time.
    ``text`` is "" when the message is only media. ``author`` and ``text`` are made well
    formed (:func:`~classifiers.normalise.well_formed`): a Telegram export can hold half
    an emoji, which no UTF-8 writer accepts.
    """

    timestamp: datetime
    author: str
    text: str
    media: MediaKind | None

    def __post_init__(self) -> None:
        for name in ("author", "text"):
            object.__setattr__(self, name, well_formed(getattr(self, name)))


class ExportError(Exception):
    """An export that cannot be read, as one line naming the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(" ".join(f"{path}: {problem}".splitlines()))


class Export(ABC):
    """An opened export: its format, and its messages read on demand.

    ``skipped`` counts the lines (WhatsApp) or entries (Telegram) that could not be
    read; it is complete once :meth:`messages` has been iterated to the end.
    """

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.format = fmt
        self.skipped = 0

    @abstractmethod
    def messages(self) -> Iterator[ExportedMessage]:
        """The messages in file order, without system notices; resets ``skipped``."""
