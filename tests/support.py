"""Small helpers shared by tests: a keyword classifier and message builders.

The keyword classifier stands in for the trained models where a test is about
the pipeline, escalation or an adapter rather than about classification.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from classifiers.categories import Category
from classifiers.judgement import Evidence, Judgement, Roster
from moderation.message import MediaKind, Message, Platform

KEYWORDS: dict[str, Category] = {
    "idiot": Category.ABUSE,
    "hurt you": Category.THREAT,
    "useless teacher": Category.STAFF_GRIEVANCE,
    "gate code": Category.SECURITY,
    "stealing": Category.DEFAMATION,
    "vote": Category.POLITICAL,
    "those people": Category.DISCRIMINATION,
}


class KeywordClassifier:
    """Flags a category when one of its keywords appears; records every call."""

    def __init__(self) -> None:
        self.calls = 0

    def judge_many(
        self,
        texts: Sequence[str],
        media: Sequence[str | None] | None = None,
        images: Sequence[bytes | None] | None = None,
        roster: Roster | None = None,
    ) -> list[Judgement]:
        self.calls += 1
        out = []
        for text in texts:
            found = [(kw, cat) for kw, cat in KEYWORDS.items() if kw in text.lower()]
            cats = tuple(dict.fromkeys(cat for _, cat in found))
            scores = {c: (0.99 if c in cats else 0.01) for c in Category}
            evidence = tuple(Evidence(cat, "keyword", f'"{kw}"') for kw, cat in found)
            out.append(Judgement(scores=scores, categories=cats, evidence=evidence))
        return out


def message(
    text: str,
    *,
    sender: str = "1001",
    name: str = "Dan Smith",
    message_id: str = "1",
    group: str = "oakfield-year4",
    platform: Platform = Platform.EXPORT,
    when: datetime | None = None,
    media: MediaKind | None = None,
    revision: int = 0,
) -> Message:
    """A message in the example school's Year 4 group unless told otherwise."""
    return Message(
        platform=platform,
        group_id=group,
        message_id=message_id,
        sender_id=sender,
        sender_name=name,
        text=text,
        sent_at=when or datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        media=media,
        revision=revision,
    )
