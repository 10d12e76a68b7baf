"""Swapping first names: the text it makes, and what it counts."""

from __future__ import annotations

from collections.abc import Sequence

from classifiers.categories import Category
from classifiers.datasets import Example
from classifiers.judgement import Judgement, Roster
from classifiers.name_swaps import given_names, name_swaps, pairs, shuffled_partners, swapped
from tests.support import KeywordClassifier


def test_names_are_swapped_in_any_case_and_nothing_else_is() -> None:
    text = "KERRY's lad Tyler, tell kerry. Kerrygold at 3:15 will do"
    (a, b), (c, d), (e, f) = pairs(text)
    assert (a, c, e) == ("KERRY", "Tyler", "kerry")
    assert b.isupper() and d[0].isupper() and d[1:].islower() and f.islower()
    assert swapped(text) == f"{b}'s lad {d}, tell {f}. Kerrygold at 3:15 will do"
    assert swapped("Cake sale on Friday, all welcome") == "Cake sale on Friday, all welcome"


def test_every_name_has_another_for_a_partner() -> None:
    names = given_names()
    assert len(names) > 1000 and {"kerry", "tyler", "priya", "tomasz", "siobhan"} <= set(names)
    assert all(swapped(n) != n and swapped(n) in names for n in names)
    # Everyday words are not names here, so chat about them is never rewritten.
    assert not set(names) & {"will", "mark", "grace", "hope", "rose", "may", "bill", "nick"}


class Suspicious(KeywordClassifier):
    """A classifier that holds one name against whoever carries it."""

    def judge_many(
        self,
        texts: Sequence[str],
        media: Sequence[str | None] | None = None,
        images: Sequence[bytes | None] | None = None,
        roster: Roster | None = None,
    ) -> list[Judgement]:
        judged = super().judge_many(texts, media, images, roster)
        return [
            Judgement(scores=j.scores, categories=(*j.categories, Category.ABUSE))
            if "kerry" in t.lower()
            else j
            for t, j in zip(texts, judged, strict=True)
        ]


def test_judgements_that_turn_on_a_name_are_counted() -> None:
    examples = [
        Example("Kerry thanks for the lift", frozenset()),
        Example("Priya thanks for the lift", frozenset()),
        Example("Thanks for the lift", frozenset()),
    ]
    for classifier, changed in ((KeywordClassifier(), 0), (Suspicious(), 1)):
        judgements = classifier.judge_many([e.text for e in examples])
        swaps = name_swaps(classifier, examples, judgements)
        assert swaps.named == 2
        assert len(swaps.changed) == changed
    text, other, before, after = swaps.changed[0]
    assert text == "Kerry thanks for the lift" and "Kerry" not in other
    assert before.categories == (Category.ABUSE,) and after.categories == ()
    assert swaps.rate == 0.5


def test_shuffled_partners_are_fixed_by_the_seed_and_differ_from_evaluates() -> None:
    names = given_names()
    partners = shuffled_partners(7)
    assert partners == shuffled_partners(7) != shuffled_partners(8)
    assert sorted(partners) == sorted(partners.values()) == list(names)
    assert sum(swapped(n, partners) == swapped(n) for n in names) < len(names) // 100
