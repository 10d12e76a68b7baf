"""How far a first name alone sways a judgement: the same messages with their names swapped.

A parent called Kerry should be judged as one called Priya would be for the same words. The
messages ClassGuard learns from name invented people, so a name that happened to turn up in
a few breaches can carry weight (the lexical model once counted "dean", "ruth" and "kerry"
among its sixty heaviest words for abuse). ``classguard evaluate`` swaps each first name it
finds (``classifiers/data/given_names.txt``) for another from the same list and counts the
messages whose flagged categories change.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

from classifiers.bundled import bundled_words
from classifiers.datasets import Example
from classifiers.evaluate import judge_all
from classifiers.judgement import Classifier, Judgement, Roster

_WORD = re.compile(r"\w+")
#: How many shown in the command's table.
SHOWN = 5


@cache
def given_names() -> tuple[str, ...]:
    """The bundled first names, lower case and sorted."""
    return tuple(sorted(set(bundled_words("given_names.txt"))))


@cache
def _swap_table() -> dict[str, str]:
    """Each name to the one half the list further on: a fixed, far-off partner."""
    names = given_names()
    half = len(names) // 2
    return {name: names[(i + half) % len(names)] for i, name in enumerate(names)}


@cache
def shuffled_partners(seed: int) -> dict[str, str]:
    """Each name to a partner drawn by a seeded shuffle: other pairs than :func:`swapped`
    uses by default, for teaching a model, so that the count ``evaluate`` reports is not
    one the model was taught."""
    names = list(given_names())
    partners = names.copy()
    random.Random(seed).shuffle(partners)
    return dict(zip(names, partners, strict=True))


def _in_same_case(original: str, name: str) -> str:
    if original.isupper() and len(original) > 1:
        return name.upper()
    return name.capitalize() if original[0].isupper() else name


def pairs(text: str) -> list[tuple[str, str]]:
    """The names :func:`swapped` would change in ``text``, each with what it becomes."""
    return [
        (word, other)
        for word, other in zip(_WORD.findall(text), _WORD.findall(swapped(text)), strict=True)
        if word != other
    ]


def swapped(text: str, partners: Mapping[str, str] | None = None) -> str:
    """``text`` with every listed first name (any case) swapped, keeping its capitals:
    for its fixed partner, or for its partner in ``partners``."""
    table = _swap_table() if partners is None else partners

    def swap(match: re.Match[str]) -> str:
        partner = table.get(match[0].lower())
        return match[0] if partner is None else _in_same_case(match[0], partner)

    return _WORD.sub(swap, text)


@dataclass(frozen=True)
class NameSwaps:
    """What swapping names changed: counts, and the first few messages it changed."""

    named: int
    """Messages with at least one listed first name."""
    changed: tuple[tuple[str, str, Judgement, Judgement], ...]
    """(text, text with names swapped, judgement before, after) where the categories differ."""

    @property
    def rate(self) -> float:
        """Share of named messages judged differently."""
        return len(self.changed) / self.named if self.named else 0.0


def name_swaps(
    classifier: Classifier,
    examples: Sequence[Example],
    judgements: Sequence[Judgement],
    roster: Roster | None = None,
) -> NameSwaps:
    """Judge the named ``examples`` again, names swapped, and compare with ``judgements``."""
    named = [(e, j, swapped(e.text)) for e, j in zip(examples, judgements, strict=True)]
    named = [(e, j, other) for e, j, other in named if other != e.text]
    again = judge_all(classifier, [replace(e, text=other) for e, _, other in named], roster)
    changed = tuple(
        (e.text, other, before, after)
        for (e, before, other), after in zip(named, again, strict=True)
        if set(before.categories) != set(after.categories)
    )
    return NameSwaps(len(named), changed)
