"""The heads file: the neighbours' vote, how it joins the linear heads, and reading it back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classifiers.categories import Category
from classifiers.heads import Heads, HeadsMissing

CATEGORIES = tuple(Category)


def small_heads() -> Heads:
    """Three bank examples on three axes: a threat, a security breach and an acceptable one."""
    dims = 4
    labels = np.zeros((3, len(CATEGORIES)), dtype=bool)
    labels[0, CATEGORIES.index(Category.THREAT)] = True
    labels[1, CATEGORIES.index(Category.SECURITY)] = True
    heads = Heads.linear(
        CATEGORIES,
        np.zeros((len(CATEGORIES), dims), dtype=np.float32),
        np.full(len(CATEGORIES), 2.0, dtype=np.float32),  # the head alone: p = 0.88 everywhere
        {},
    )
    return replace(
        heads,
        bank=np.eye(3, dims, dtype=np.float32),
        bank_labels=labels,
        bank_text=("I'll sort you out", "gate code is 4512", "cake sale on Friday"),
    )


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_the_nearest_examples_vote_with_their_labels() -> None:
    heads = small_heads()
    votes = heads.votes(np.stack([unit(1, 0, 0, 0), unit(0, 0.1, 1, 0)]))
    assert votes[0, CATEGORIES.index(Category.THREAT)] == pytest.approx(1.0)
    assert votes[1].max() < 0.01  # nearest to the acceptable example


def test_harmful_categories_keep_the_head_and_the_rest_join_the_vote() -> None:
    heads = small_heads()
    # Resembles only the acceptable example.
    scores = heads.scores(unit(0, 0, 1, 0)[None, :], [""])[0]
    head = 1 / (1 + np.exp(-2.0))
    for category in (Category.ABUSE, Category.THREAT, Category.DISCRIMINATION):
        assert scores[CATEGORIES.index(category)] == pytest.approx(head)
    # No neighbour is a security breach: the vote counts only its floor, under any threshold.
    assert scores[CATEGORIES.index(Category.SECURITY)] == pytest.approx(np.sqrt(head * 0.1))
    assert scores[CATEGORIES.index(Category.SECURITY)] < 0.5


def test_a_zero_vote_still_ranks_messages_by_the_head() -> None:
    heads = small_heads()
    sure = replace(heads, intercept=np.full(len(CATEGORIES), 4.0, dtype=np.float32))
    message = unit(0, 0, 1, 0)[None, :]  # resembles only the acceptable example
    index = CATEGORIES.index(Category.SECURITY)
    assert sure.scores(message, [""])[0, index] > heads.scores(message, [""])[0, index] > 0


def test_the_nearest_breach_is_cited_only_for_its_own_category() -> None:
    heads = small_heads()
    text, similarity = heads.nearest(unit(0.2, 1, 0, 0), Category.SECURITY) or ("", 0.0)
    assert text == "gate code is 4512"
    assert similarity == pytest.approx(0.98, abs=0.01)
    assert heads.nearest(unit(1, 0, 0, 0), Category.POLITICAL) is None


def test_heads_read_back_what_was_written(tmp_path: Path) -> None:
    heads = small_heads()
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    np.testing.assert_array_equal(loaded.bank_labels, heads.bank_labels)
    assert loaded.bank_text == heads.bank_text
    assert loaded.categories == CATEGORIES


def test_an_older_heads_file_is_a_one_line_error_naming_the_fix(tmp_path: Path) -> None:
    heads = small_heads()
    path = tmp_path / "heads.npz"
    np.savez_compressed(
        path,
        categories=np.array([c.value for c in CATEGORIES]),
        coef=heads.coef,
        intercept=heads.intercept,
        thresholds=heads.thresholds,
        bank=heads.bank,
        bank_category=np.array([1, 8], dtype=np.int16),
        bank_text=np.array(heads.bank_text[:2]),
        meta=np.array("{}"),
    )
    with pytest.raises(HeadsMissing, match="--heads-only"):
        Heads.load(path)
    assert Heads.load_linear(path).coef.shape == heads.coef.shape
