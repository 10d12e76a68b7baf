"""What the model reads, and the readable signals shown beside its judgement.

The fine-tuned model reads the normalised text, prefixed with the kind of media
posted (a photo changes what a caption means). Cue patterns, names found with
the roster and evasion tricks are kept for evidence a moderator can check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from classifiers.judgement import Roster
from classifiers.normalise import normalise_with_flags
from classifiers.roster import NameMatch, RosterMatcher
from classifiers.rules import lexicon

STAFF_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir)\.? [A-Z][a-z]+")
PICTURE_MEDIA = frozenset({"photo", "video"})


def model_text(normalised: str, media: str | None) -> str:
    """The model's input: the normalised text, with the media kind in front."""
    return f"[{media}] {normalised}" if media else normalised


@cache
def common_first_names() -> tuple[str, ...]:
    """The bundled list of common children's first names."""
    raw = resources.files("classifiers").joinpath("data/first_names.txt").read_text("utf-8")
    lines = (ln for ln in raw.splitlines() if ln and not ln.startswith("#"))
    return tuple(name for line in lines for name in line.split())


@cache
def matcher_for(roster: Roster | None) -> RosterMatcher:
    """A roster matcher; without a roster, any common first name counts as a child's."""
    pupils = roster.pupils if roster and roster.pupils else common_first_names()
    return RosterMatcher(pupils=pupils, staff=roster.staff if roster else ())


@dataclass(frozen=True, slots=True)
class Prepared:
    """One message ready for the model, with the signals kept for evidence."""

    original: str
    normalised: str
    media: str | None
    faces: int | None
    evasions: list[str]
    cues: dict[str, list[str]]
    names: list[NameMatch]

    @property
    def model_input(self) -> str:
        """What the model reads."""
        return model_text(self.normalised, self.media)


def prepare(
    texts: Sequence[str],
    media: Sequence[str | None],
    faces: Sequence[int | None],
    roster: Roster | None,
) -> list[Prepared]:
    """Normalise texts and find cues and names."""
    matcher = matcher_for(roster)
    lex = lexicon()
    out = []
    for text, kind, face_count in zip(texts, media, faces, strict=True):
        normalised, evasions = normalise_with_flags(text)
        names = matcher.find(text)
        names += [
            NameMatch("staff", m.group(0), m.group(0), m.start(), m.end(), 100.0)
            for m in STAFF_TITLE.finditer(text)
            if not any(n.start <= m.start() < n.end for n in names)
        ]
        cues = lex.hits(normalised, text)
        out.append(Prepared(text, normalised, kind, face_count, evasions, cues, names))
    return out
