"""The lexical model: scikit-learn's features without scikit-learn, and how it joins the heads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classifiers.categories import Category
from classifiers.heads import Heads
from classifiers.lexical import WEIGHT, Lexical, NGramSpace, vectoriser, vectorisers

CATEGORIES = tuple(Category)
SECURITY = CATEGORIES.index(Category.SECURITY)

CORPUS = [
    "The gate code is 4512, just let yourself in",
    "gate code changed to 9981 today",
    "Door code for the side gate is 1234",
    "Cake sale on Friday, all welcome",
    "Cake sale raised £200, thank you all!",
    "Can't make Friday, sorry. Hope the cake sale goes well",
    "Zoë's party is at the café at 3 — café opens at 2",
    "a a a a b",
]
#: Unseen words, accents, emoji, one-letter words, repeats, spacing, and nothing at all.
QUERIES = [
    "GATE CODE gate code gate code",
    "Zoë's café   party 🎉🎉",
    "i a b c",
    "completely unseen vocabulary",
    "",
    "   \n\t ",
    "cake\tsale\non Friday",
]


@pytest.mark.parametrize("kind", ["word", "char"])
def test_the_features_are_those_scikit_learn_computes(kind: str) -> None:
    fitted = vectoriser(kind)
    fitted.fit(CORPUS)
    space = NGramSpace.from_grams(kind, fitted.get_feature_names_out().tolist(), fitted.idf_)
    texts = CORPUS + QUERIES
    found = space.features(texts)
    ours = np.zeros((len(texts), len(space.index)))
    ours[found.rows, found.columns] = found.values
    np.testing.assert_allclose(ours, fitted.transform(texts).toarray(), rtol=0, atol=1e-12)


def test_the_remembered_words_are_bounded_and_forgetting_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fitted = vectoriser("char").fit(CORPUS)
    grams = fitted.get_feature_names_out().tolist()
    first = NGramSpace.from_grams("char", grams, fitted.idf_).features(CORPUS)
    monkeypatch.setattr("classifiers.lexical.REMEMBERED_WORDS", 3)
    space = NGramSpace.from_grams("char", grams, fitted.idf_)
    for _ in range(2):  # the second pass reads what the first remembered, or forgot
        again = space.features(CORPUS)
        assert len(space.word_columns) <= 3
        np.testing.assert_array_equal(again.rows, first.rows)
        np.testing.assert_array_equal(again.columns, first.columns)
        np.testing.assert_array_equal(again.values, first.values)


def labelled() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = np.zeros((len(CORPUS), len(CATEGORIES)), dtype=bool)
    labels[:3, SECURITY] = True
    labels[-1, :] = True  # every category has a breach to learn from
    mask = np.ones_like(labels)
    return labels, mask, np.ones(len(CORPUS), dtype=np.float32)


def test_the_probabilities_are_the_fitted_regressions() -> None:
    lexical = Lexical.fit(CORPUS, *labelled(), CATEGORIES)
    probabilities = lexical.probabilities(QUERIES)
    features = vectorisers().fit(CORPUS).transform(QUERIES)
    logits = features.toarray() @ lexical.coef + lexical.intercept
    np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-logits)), rtol=1e-5, atol=1e-6)
    # A text with no known n-gram gets the intercept alone, not a division by zero.
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities[4], 1 / (1 + np.exp(-lexical.intercept)), rtol=1e-6)
    # Nor does a batch with no known n-gram at all, or no text.
    np.testing.assert_array_equal(lexical.probabilities(["", " "]), probabilities[[4, 4]])
    assert lexical.probabilities([]).shape == (0, len(CATEGORIES))


def test_what_it_learnt_from_the_words_carries_to_new_messages() -> None:
    lexical = Lexical.fit(CORPUS, *labelled(), CATEGORIES)
    code, cake = lexical.probabilities(["the new gate code is 7788", "cake on Friday?"])
    assert code[SECURITY] > 0.5 > cake[SECURITY]


def small_heads(lexical: Lexical | None) -> Heads:
    """Heads whose linear part says 0.88 for every category, with no bank to vote."""
    heads = Heads.linear(
        CATEGORIES,
        np.zeros((len(CATEGORIES), 4), dtype=np.float32),
        np.full(len(CATEGORIES), 2.0, dtype=np.float32),
        {},
    )
    return replace(heads, lexical=lexical)


def test_the_heads_average_their_scores_with_the_lexical_model() -> None:
    lexical = Lexical.fit(CORPUS, *labelled(), CATEGORIES)
    texts = ["the new gate code is 7788", "cake on Friday?"]
    embeddings = np.eye(2, 4, dtype=np.float32)
    alone = small_heads(None).scores(embeddings, texts)
    blended = small_heads(lexical).scores(embeddings, texts)
    expected = (1 - WEIGHT) * alone + WEIGHT * lexical.probabilities(texts)
    np.testing.assert_allclose(blended, expected, rtol=1e-6)
    assert blended[0, SECURITY] > blended[1, SECURITY]


def test_the_lexical_model_reads_back_what_was_written(tmp_path: Path) -> None:
    lexical = Lexical.fit(CORPUS, *labelled(), CATEGORIES)
    small_heads(lexical).save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz").lexical
    assert loaded is not None
    assert loaded.words.index == lexical.words.index
    assert loaded.chars.index == lexical.chars.index
    assert loaded.weight == lexical.weight
    np.testing.assert_array_equal(loaded.probabilities(QUERIES), lexical.probabilities(QUERIES))


def test_heads_saved_without_a_lexical_model_load_without_one(tmp_path: Path) -> None:
    small_heads(None).save(tmp_path / "heads.npz")
    assert Heads.load(tmp_path / "heads.npz").lexical is None


def test_the_words_shown_as_evidence_are_the_readable_ones_that_weighed_most() -> None:
    lexical = Lexical.fit(CORPUS, *labelled(), CATEGORIES)
    words = lexical.weighed_words("so the gate code is 7788 ok", SECURITY)
    assert words and set(words) <= {"gate", "code", "gate code", "code is", "the gate"}
    assert "ok" not in words and "is" not in words
    assert lexical.weighed_words("cake", SECURITY) == []  # nothing counts towards it
