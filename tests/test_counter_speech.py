"""Counter-speech: its column in the heads, the discount it applies, and how it is marked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from classifiers.categories import Category
from classifiers.counter_speech import SPARED, discounted
from classifiers.datasets import DataError, Example, label_mask, read_labelled
from classifiers.heads import Heads
from classifiers.train import with_counter_speech
from tests.test_heads import CATEGORIES, small_heads, unit


def with_column(heads: Heads, logit: float) -> Heads:
    """``heads`` with a counter-speech column that is ``logit`` sure of every message."""
    dims = heads.coef.shape[1]
    return replace(
        heads,
        coef=np.vstack([heads.coef, np.zeros((1, dims), dtype=np.float32)]),
        intercept=np.append(heads.intercept, np.float32(logit)),
    )


def test_counter_speech_lowers_every_category_but_the_spared_ones() -> None:
    scores = np.full((2, len(CATEGORIES)), 0.8, dtype=np.float32)
    lowered = discounted(scores, np.array([0.0, 0.75], dtype=np.float32), CATEGORIES)
    np.testing.assert_allclose(lowered[0], 0.8)  # not counter-speech: nothing changes
    for index, category in enumerate(CATEGORIES):
        expected = 0.8 if category in SPARED else 0.8 * np.sqrt(0.25)
        assert lowered[1, index] == pytest.approx(expected)
    assert Category.THREAT in SPARED and Category.POLITICAL not in SPARED


def test_heads_with_a_counter_speech_column_discount_their_scores() -> None:
    plain = small_heads()
    message = unit(0, 0, 1, 0)[None, :]
    before = plain.scores(message, [""])[0]
    unsure, sure = with_column(plain, -9.0), with_column(plain, 9.0)
    assert not plain.recognises_counter_speech and sure.recognises_counter_speech
    assert unsure.scores(message, [""]).shape == (1, len(CATEGORIES))
    np.testing.assert_allclose(unsure.scores(message, [""])[0], before, rtol=1e-3)
    after = sure.scores(message, [""])[0]
    for index, category in enumerate(CATEGORIES):
        if category in SPARED:
            assert after[index] == pytest.approx(before[index])
        else:
            assert after[index] < before[index] / 50


def test_the_counter_speech_column_is_saved_with_the_heads(tmp_path: Path) -> None:
    heads = with_column(small_heads(), 9.0)
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    assert loaded.recognises_counter_speech
    message = unit(1, 0, 0, 0)[None, :]
    np.testing.assert_allclose(loaded.scores(message, [""]), heads.scores(message, [""]))


def test_counter_speech_is_marked_on_acceptable_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "marked.jsonl"
    path.write_text(
        '{"text": "Please delete the gate code!", "labels": [], "counter_speech": true}\n'
        '{"text": "Cake on Friday", "labels": []}\n',
        encoding="utf-8",
    )
    assert [e.counter_speech for e in read_labelled(path)] == [True, False]
    for bad in ('"counter_speech": "yes"', '"labels": ["abuse"], "counter_speech": true'):
        path.write_text('{"text": "Stop it, you idiot", ' + bad + "}\n", encoding="utf-8")
        with pytest.raises(DataError, match=r"marked\.jsonl:1: counter_speech"):
            read_labelled(path)


def test_only_school_chat_teaches_the_counter_speech_column() -> None:
    examples = [
        Example("Please take the gate code down", frozenset(), counter_speech=True),
        Example("The gate code is 4512", frozenset({Category.SECURITY})),
        Example("you absolute muppet", frozenset({Category.ABUSE}), source="olid"),
    ]
    labels = np.array([[c in e.labels for c in Category] for e in examples])
    labels, mask = with_counter_speech(examples, labels, label_mask(examples))
    assert labels[:, -1].tolist() == [True, False, False]
    assert mask[:, -1].tolist() == [True, True, False]
