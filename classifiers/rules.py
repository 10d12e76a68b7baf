"""Cue patterns from ``data/lexicon.yaml``: the words a moderator is shown as evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

#: Lexicon keys: one per category, and ``shouting``, shown beside abuse.
CUE_KEYS = (
    "abuse",
    "shouting",
    "threat",
    "discrimination",
    "child_concern",
    "staff_grievance",
    "defamation",
    "political",
    "private_chat",
    "security",
    "confidential",
    "pupil_image",
)

#: Patterns matched against the original text (case matters), not the normalised,
#: lower-cased one.
CASE_SENSITIVE = frozenset({"private_chat", "shouting"})


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled cue patterns per lexicon key."""

    patterns: dict[str, tuple[re.Pattern[str], ...]]

    def hits(self, normalised: str, original: str) -> dict[str, list[str]]:
        """The matched snippets per key (only keys with a match)."""
        found: dict[str, list[str]] = {}
        for key, patterns in self.patterns.items():
            text = original if key in CASE_SENSITIVE else normalised
            snippets = [m.group(0).strip() for p in patterns for m in p.finditer(text)]
            if snippets:
                found[key] = snippets
        return found


@cache
def lexicon() -> Lexicon:
    """The bundled lexicon, compiled once."""
    raw = resources.files("classifiers").joinpath("data/lexicon.yaml").read_text("utf-8")
    data = yaml.safe_load(raw)
    unknown = set(data) - set(CUE_KEYS)
    if unknown:
        raise ValueError(f"lexicon.yaml: unknown keys {sorted(unknown)}")
    compiled = {
        key: tuple(
            re.compile(p, 0 if key in CASE_SENSITIVE else re.IGNORECASE) for p in data.get(key, [])
        )
        for key in CUE_KEYS
    }
    return Lexicon(compiled)
