"""Measuring a classifier on labelled messages: per-category and overall figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from classifiers.categories import HARMFUL, Category
from classifiers.datasets import Example
from classifiers.judgement import Classifier, Judgement, Roster


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    """Precision, recall and F1 for one category at its threshold, and its average precision.

    Average precision scores how well the category's scores rank the messages that
    carry it above those that don't, whatever the threshold. Thresholds are chosen
    on a few hundred validation messages, so F1 moves with their luck; average
    precision is the fairer way to tell whether a retrained model is better.
    """

    true_positives: int
    false_positives: int
    false_negatives: int
    average_precision: float | None = None

    @property
    def support(self) -> int:
        """How many examples truly carry the category."""
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        """Share of flags that were right (1.0 when nothing was flagged)."""
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        """Share of true cases that were flagged (1.0 when there were none)."""
        return self.true_positives / self.support if self.support else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Mistake:
    """A message the classifier got wrong."""

    text: str
    expected: tuple[str, ...]
    predicted: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class Report:
    """Everything ``classguard evaluate`` prints."""

    figures: dict[Category, CategoryFigures]
    examples: int
    acceptable: int
    acceptable_flagged: int
    #: Messages labelled abusive, threatening or discriminatory, and how many of them were
    #: flagged for at least one of the three (not necessarily the one labelled).
    harmful: int
    harmful_caught: int
    false_positives: list[Mistake] = field(default_factory=list)
    false_negatives: list[Mistake] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the categories present in the data."""
        present = [f.f1 for f in self.figures.values() if f.support]
        return sum(present) / len(present) if present else 0.0

    @property
    def mean_average_precision(self) -> float:
        """Mean average precision over the categories present in the data."""
        figures = self.figures.values()
        present = [f.average_precision for f in figures if f.average_precision is not None]
        return sum(present) / len(present) if present else 0.0

    @property
    def false_positive_rate(self) -> float:
        """Share of acceptable messages that got any flag."""
        return self.acceptable_flagged / self.acceptable if self.acceptable else 0.0


def judge_all(
    classifier: Classifier,
    examples: Sequence[Example],
    roster: Roster | None = None,
    batch: int = 256,
) -> list[Judgement]:
    """Judge examples in batches."""
    out: list[Judgement] = []
    for start in range(0, len(examples), batch):
        chunk = examples[start : start + batch]
        out += classifier.judge_many(
            [e.text for e in chunk], [e.media for e in chunk], None, roster
        )
    return out


def report(examples: Sequence[Example], judgements: Sequence[Judgement], worst: int = 10) -> Report:
    """Compare judgements with labels."""
    counts = {c: [0, 0, 0] for c in Category}
    fps: list[Mistake] = []
    fns: list[Mistake] = []
    acceptable = acceptable_flagged = harmful = harmful_caught = 0
    for example, judgement in zip(examples, judgements, strict=True):
        predicted = set(judgement.categories)
        for category in Category:
            truth, guess = category in example.labels, category in predicted
            counts[category][0] += truth and guess
            counts[category][1] += guess and not truth
            counts[category][2] += truth and not guess
        expected = tuple(sorted(c.value for c in example.labels))
        got = tuple(sorted(c.value for c in predicted))
        if not example.labels:
            acceptable += 1
            acceptable_flagged += bool(predicted)
        if example.labels & HARMFUL:
            harmful += 1
            harmful_caught += bool(predicted & HARMFUL)
        extra = predicted - example.labels
        missing = example.labels - predicted
        if extra:
            score = max(judgement.scores.get(c, 0.0) for c in extra)
            fps.append(Mistake(example.text, expected, got, score))
        if missing:
            score = min(judgement.scores.get(c, 0.0) for c in missing)
            fns.append(Mistake(example.text, expected, got, score))
    fps.sort(key=lambda m: -m.confidence)
    fns.sort(key=lambda m: m.confidence)
    return Report(
        figures={
            c: CategoryFigures(tp, fp, fn, average_precision(c, examples, judgements))
            for c, (tp, fp, fn) in counts.items()
        },
        examples=len(examples),
        acceptable=acceptable,
        acceptable_flagged=acceptable_flagged,
        harmful=harmful,
        harmful_caught=harmful_caught,
        false_positives=fps[:worst],
        false_negatives=fns[:worst],
    )


def average_precision(
    category: Category, examples: Sequence[Example], judgements: Sequence[Judgement]
) -> float | None:
    """How well ``category``'s scores rank its messages first; None when none carry it."""
    truth = [category in e.labels for e in examples]
    if not any(truth):
        return None
    return ranked_precision(truth, [j.scores.get(category, 0.0) for j in judgements])


def offensive_macro_f1(examples: Sequence[Example], judgements: Sequence[Judgement]) -> float:
    """OLID-style macro-F1 of OFF against NOT, where OFF is any of abuse, threat, discrimination."""
    tp = fp = fn = tn = 0
    for example, judgement in zip(examples, judgements, strict=True):
        truth = bool(example.labels & HARMFUL)
        guess = bool(set(judgement.categories) & HARMFUL)
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
        tn += not truth and not guess
    return _offensive_macro_f1(tp, fp, fn, tn)


def best_offensive_macro_f1(
    examples: Sequence[Example], judgements: Sequence[Judgement]
) -> tuple[float, float]:
    """The highest OFF-vs-NOT macro-F1 that one threshold on the highest of the abuse,
    threat and discrimination scores gives on these examples, and that threshold.

    The threshold is chosen on the very messages it is measured on, so this is a ceiling,
    not a result: it tells whether a shortfall lies in the thresholds or in the ranking.
    """
    truth, scores = offensive_scores(examples, judgements)
    positives = sum(truth)
    negatives = len(truth) - positives
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    best = (0.0, 1.0)
    tp = fp = 0
    for rank, i in enumerate(order):
        tp += truth[i]
        fp += not truth[i]
        if rank + 1 < len(order) and scores[order[rank + 1]] == scores[i]:
            continue  # a threshold flags every message of equal score, or none of them
        value = _offensive_macro_f1(tp, fp, positives - tp, negatives - fp)
        if value > best[0]:
            best = (value, scores[i])
    return best


def offensive_average_precision(
    examples: Sequence[Example], judgements: Sequence[Judgement]
) -> float:
    """How well the highest of the abuse, threat and discrimination scores ranks OFF first."""
    truth, scores = offensive_scores(examples, judgements)
    return ranked_precision(truth, scores) if any(truth) else 0.0


def offensive_scores(
    examples: Sequence[Example], judgements: Sequence[Judgement]
) -> tuple[list[bool], list[float]]:
    """Whether each example is OFF, and its highest abuse, threat or discrimination score."""
    truth = [bool(e.labels & HARMFUL) for e in examples]
    scores = [max(j.scores.get(c, 0.0) for c in HARMFUL) for j in judgements]
    return truth, scores


def _offensive_macro_f1(tp: int, fp: int, fn: int, tn: int) -> float:
    """The mean of OFF's F1 and NOT's, from OFF's confusion counts."""
    return (CategoryFigures(tp, fp, fn).f1 + CategoryFigures(tn, fn, fp).f1) / 2


def ranked_precision(truth: Sequence[bool], scores: Sequence[float]) -> float:
    """scikit-learn's average precision, imported only when figures are asked for:
    it costs the running bot about 70 MB."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(truth, scores))
