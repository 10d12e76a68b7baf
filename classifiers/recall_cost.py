"""What catching more would cost: the thresholds that reach a given recall on a labelled set,
and how many acceptable messages they would flag.

The calibrated thresholds keep false alarms rare, and a school may lower them
(``classifier.thresholds``). On messages whose labels are known, these figures show what a
lower threshold buys and what it costs, so that a school chooses with numbers, and so that
a goal such as "recall 0.95 with at most 2% of acceptable messages flagged" can be checked
against the model's ranking, not only against the thresholds it happens to have.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.categories import HARMFUL, Category
from classifiers.datasets import Example
from classifiers.judgement import Judgement

#: The recalls ``classguard evaluate`` prices, the last being the harmful categories' goal.
RECALLS = (0.80, 0.90, 0.95)
#: The categories it prices by default: those with a recall goal, in the usual order.
PRICED = tuple(c for c in Category if c in HARMFUL)


@dataclass(frozen=True, slots=True)
class RecallCost:
    """At one recall, per category: the highest threshold that reaches it and the share
    of acceptable messages scoring at or above that threshold; and the share of acceptable
    messages that would be flagged for at least one of the categories priced."""

    recall: float
    thresholds: dict[Category, float]
    acceptable_flagged: dict[Category, float]
    any_flagged: float


def threshold_for_recall(scores: Sequence[float], recall: float) -> float:
    """The highest threshold at which ``scores >= threshold`` holds for at least ``recall``
    of ``scores`` (the scores of the messages that carry the category)."""
    if not scores:
        raise ValueError("no scores to reach a recall on")
    ranked = sorted(scores, reverse=True)
    needed = max(1, math.ceil(recall * len(ranked) - 1e-9))
    return ranked[needed - 1]


def recall_costs(
    examples: Sequence[Example],
    judgements: Sequence[Judgement],
    recalls: Sequence[float] = RECALLS,
    categories: Sequence[Category] = PRICED,
) -> list[RecallCost]:
    """What each recall in ``recalls`` would cost for ``categories`` on these examples.

    Categories no example carries are left out, and with no acceptable example there is
    nothing to cost: both give an empty answer rather than a made-up figure.
    """
    pairs = list(zip(examples, judgements, strict=True))
    acceptable = [j for e, j in pairs if not e.labels]
    carried = {c: [j.scores.get(c, 0.0) for e, j in pairs if c in e.labels] for c in categories}
    present = [c for c in categories if carried[c]]
    if not acceptable or not present:
        return []
    costs = []
    for recall in recalls:
        thresholds = {c: threshold_for_recall(carried[c], recall) for c in present}
        above = [{c for c in present if j.scores.get(c, 0.0) >= thresholds[c]} for j in acceptable]
        costs.append(
            RecallCost(
                recall=recall,
                thresholds=thresholds,
                acceptable_flagged={
                    c: sum(c in a for a in above) / len(acceptable) for c in present
                },
                any_flagged=sum(bool(a) for a in above) / len(acceptable),
            )
        )
    return costs
