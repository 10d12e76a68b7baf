"""The thresholds that reach a recall, and what they would flag wrongly."""

from __future__ import annotations

import pytest

from classifiers.categories import Category
from classifiers.datasets import Example
from classifiers.judgement import Judgement
from classifiers.recall_cost import recall_costs, threshold_for_recall

A, T, D = Category.ABUSE, Category.THREAT, Category.DISCRIMINATION


def example(*labels: Category) -> Example:
    return Example("text", frozenset(labels))


def scored(**scores: float) -> Judgement:
    return Judgement(scores={Category(k): v for k, v in scores.items()})


def test_the_threshold_is_the_highest_that_keeps_enough_of_the_scores() -> None:
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    assert threshold_for_recall(scores, 0.8) == 0.2  # 8 of 10 at or above it
    assert threshold_for_recall(scores, 0.75) == 0.2  # 7.5 rounds up to 8
    assert threshold_for_recall(scores, 0.95) == 0.05  # 9.5 rounds up to all 10
    assert threshold_for_recall(scores, 0.1) == 0.9
    assert threshold_for_recall([0.7], 0.5) == 0.7
    with pytest.raises(ValueError):
        threshold_for_recall([], 0.9)


def test_costs_count_the_acceptable_messages_at_or_above_each_threshold() -> None:
    examples = [example(A), example(A), example(A), example(A), example(T), example(T)]
    judgements = [
        scored(abuse=0.9),
        scored(abuse=0.8),
        scored(abuse=0.6),
        scored(abuse=0.2),
        scored(threat=0.95),
        scored(threat=0.4),
    ]
    examples += [example() for _ in range(4)]
    judgements += [
        scored(abuse=0.7, threat=0.1),  # above abuse's 0.75-recall threshold (0.6)
        scored(abuse=0.3, threat=0.5),  # above abuse's full-recall one (0.2) and threat's 0.4
        scored(abuse=0.1),
        scored(),
    ]
    three_quarters, everything = recall_costs(examples, judgements, recalls=(0.75, 1.0))
    assert three_quarters.thresholds == {A: 0.6, T: 0.4}
    assert three_quarters.acceptable_flagged == {A: 0.25, T: 0.25}
    assert three_quarters.any_flagged == 0.5
    assert everything.thresholds == {A: 0.2, T: 0.4}
    assert everything.acceptable_flagged == {A: 0.5, T: 0.25}
    assert everything.any_flagged == 0.5  # both flags fall on the same two messages


def test_absent_categories_and_sets_without_acceptable_messages_cost_nothing() -> None:
    costs = recall_costs([example(A), example()], [scored(abuse=0.9), scored(abuse=0.1)])
    assert [set(c.thresholds) for c in costs] == [{A}, {A}, {A}]  # no threats, no discrimination
    assert recall_costs([example(A)], [scored(abuse=0.9)]) == []
    assert recall_costs([example(), example()], [scored(), scored()]) == []
