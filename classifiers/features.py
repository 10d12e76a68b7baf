"""What the model reads, and the readable signals shown beside its judgement.

The fine-tuned model reads the normalised text, prefixed with the kind of media
posted (a photo changes what a caption means). Evasion tricks are noted as the
text is normalised; cue patterns and names found with the roster are looked for
only in flagged messages (:func:`signals`), since they serve as evidence a
moderator can check and most messages are never flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from classifiers.bundled import bundled_words
from classifiers.judgement import Roster
from classifiers.normalise import normalise_with_flags, well_formed
from classifiers.roster import Coverage, NameMatch, RosterMatcher
from classifiers.rules import lexicon

STAFF_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sir)\.? [A-Z][a-z]+")
PICTURE_MEDIA = frozenset({"photo", "video"})


def model_text(normalised: str, media: str | None) -> str:
    """The model's input: the normalised text, with the media kind in front."""
    return f"[{media}] {normalised}" if media else normalised


@cache
def common_first_names() -> tuple[str, ...]:
    """The bundled list of common children's first names."""
    return bundled_words("first_names.txt")


@cache
def matcher_for(roster: Roster | None) -> RosterMatcher:
    """A roster matcher; without a roster, any common first name counts as a child's."""
    pupils = roster.pupils if roster and roster.pupils else common_first_names()
    return RosterMatcher(pupils=pupils, staff=roster.staff if roster else ())


@dataclass(frozen=True, slots=True)
class Prepared:
    """One message ready for the model, with the evasions undone in it."""

    original: str
    normalised: str
    media: str | None
    faces: int | None
    evasions: list[str]

    @property
    def model_input(self) -> str:
        """What the model reads."""
        return model_text(self.normalised, self.media)


def prepare(
    texts: Sequence[str], media: Sequence[str | None], faces: Sequence[int | None]
) -> list[Prepared]:
    """Normalise texts, noting the evasions undone."""
    out = []
    for raw, kind, face_count in zip(texts, media, faces, strict=True):
        text = well_formed(raw)
        normalised, evasions = normalise_with_flags(text)
        out.append(Prepared(text, normalised, kind, face_count, evasions))
    return out


@dataclass(frozen=True, slots=True)
class Signals:
    """What a moderator is shown beside a flagged message: cue words and names found."""

    cues: dict[str, list[str]]
    names: list[NameMatch]


def signals(p: Prepared, roster: Roster | None) -> Signals:
    """Cue patterns and the pupils and staff named in a prepared message."""
    names = matcher_for(roster).find(p.original)
    covered = Coverage(len(p.original))
    for name in names:
        covered.add(name.start, name.end)
    names += [
        NameMatch("staff", m.group(0), m.group(0), m.start(), m.end(), 100.0)
        for m in STAFF_TITLE.finditer(p.original)
        if not covered.overlaps(m.start(), m.start() + 1)
    ]
    return Signals(lexicon().hits(p.normalised, p.original), names)
