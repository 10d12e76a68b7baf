"""The lexicon's cue patterns: the words shown to a moderator beside a flag."""

from __future__ import annotations

import pytest

from classifiers.categories import Category
from classifiers.classifier import ClassGuardClassifier
from classifiers.features import prepare, signals
from classifiers.rules import CUE_KEYS, lexicon


def cues(text: str) -> dict[str, list[str]]:
    return signals(prepare([text], [None], [None])[0], None).cues


@pytest.mark.parametrize(
    "text",
    [
        "Lovely assembly this morning, thank you everyone for coming along",
        "Does anyone know what time the coach gets back from the museum trip?",
        "Reminder: PTA BBQ on Saturday, bring a plate if you can",
    ],
)
def test_an_ordinary_message_shows_no_abuse_or_shouting(text: str) -> None:
    found = cues(text)
    assert "abuse" not in found
    assert "shouting" not in found


@pytest.mark.parametrize(
    ("text", "snippet"),
    [
        ("ARE YOU BEING SERIOUS FIONA?? unbelievable", "ARE YOU BEING SERIOUS FIONA"),
        ("READ. THE. LETTER. It's not rocket science", "READ. THE. LETTER"),
        ("who moved my bike!!! not funny", "!!!"),
    ],
)
def test_shouting_is_found_as_written(text: str, snippet: str) -> None:
    assert cues(text)["shouting"] == [snippet]


def test_shouted_capitals_are_not_found_once_lower_cased() -> None:
    assert "shouting" not in cues("are you being serious fiona?? unbelievable")


def test_every_lexicon_key_has_patterns() -> None:
    assert set(lexicon().patterns) == set(CUE_KEYS)
    assert all(lexicon().patterns.values())


def test_shouting_is_evidence_for_an_abuse_flag() -> None:
    classifier = ClassGuardClassifier()
    judgement = classifier.judge("YOU ARE AN ABSOLUTE IDIOT Kev, a total waste of space")
    assert Category.ABUSE in judgement.categories
    keywords = [e.detail for e in judgement.evidence if e.source == "keyword"]
    assert '"idiot"' in keywords
    assert '"YOU ARE AN ABSOLUTE IDIOT"' in keywords
    assert all("Kev" not in k for k in keywords)


@pytest.mark.parametrize(
    ("text", "snippet"),
    [
        ("pikeys, the lot of them", "pikeys"),
        ("typical pikey behaviour", "pikey"),
        ("no gyppos on the field please", "gyppos"),
        ("more immigrants than ever", "immigrants"),
    ],
)
def test_slurs_are_found_in_the_plural_too(text: str, snippet: str) -> None:
    assert cues(text)["discrimination"] == [snippet]


def test_a_word_that_merely_starts_like_a_slur_is_not_one() -> None:
    assert "discrimination" not in cues("the wogan show and a mongoose at the zoo")
