"""What a classifier's judgement means under one school's code of conduct."""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.categories import DEFAULT_SEVERITY, Category, Severity
from classifiers.judgement import Judgement
from config.schema import Clause, Settings


@dataclass(frozen=True, slots=True)
class Assessment:
    """The categories breached, how serious it is, and the clause to cite."""

    categories: tuple[Category, ...]
    severity: Severity
    clause: Clause | None
    clauses: tuple[Clause, ...]


def severity_of(category: Category, settings: Settings) -> Severity:
    """The school's severity for a category, or the default when its clause gives none."""
    clause = settings.clause_for(category)
    if clause is not None and clause.severity is not None:
        return clause.severity
    return DEFAULT_SEVERITY[category]


def assess(judgement: Judgement, settings: Settings) -> Assessment:
    """Map breached categories to the school's clauses and the overall severity.

    The clause cited first is the one for the most serious category; ties go to
    the category the classifier was surest of.
    """
    ranked = sorted(
        judgement.categories,
        key=lambda c: (severity_of(c, settings), judgement.scores.get(c, 0.0)),
        reverse=True,
    )
    clauses = tuple(c for c in (settings.clause_for(cat) for cat in ranked) if c is not None)
    severity = max((severity_of(c, settings) for c in ranked), default=Severity.NONE)
    return Assessment(
        categories=tuple(ranked),
        severity=severity,
        clause=clauses[0] if clauses else None,
        clauses=clauses,
    )
