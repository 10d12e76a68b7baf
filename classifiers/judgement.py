"""What a classifier says about one message: scores, the categories breached, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from classifiers.categories import DEFAULT_SEVERITY, Category, Severity


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason behind a judgement, shown to moderators.

    ``source`` says what produced it: ``keyword``, ``name``, ``words`` (those the
    lexical model weighed most), ``example`` (the nearest training example),
    ``model``, ``media`` or ``detoxify``.
    """

    category: Category
    source: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"category": self.category.value, "source": self.source, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Judgement:
    """Scores for every category, those above threshold, and the evidence for them."""

    scores: Mapping[Category, float]
    categories: tuple[Category, ...] = ()
    evidence: tuple[Evidence, ...] = field(default=())

    @property
    def flagged(self) -> bool:
        """Whether any category was breached."""
        return bool(self.categories)

    @property
    def severity(self) -> Severity:
        """The worst default severity among the breached categories."""
        return max((DEFAULT_SEVERITY[c] for c in self.categories), default=Severity.NONE)


@dataclass(frozen=True, slots=True)
class Roster:
    """The names a classifier should recognise in one class group."""

    pupils: tuple[str, ...] = ()
    staff: tuple[tuple[str, str], ...] = ()


class Classifier(Protocol):
    """Anything that can judge messages; the pipeline depends on this alone."""

    def judge_many(
        self,
        texts: Sequence[str],
        media: Sequence[str | None] | None = None,
        images: Sequence[bytes | None] | None = None,
        roster: Roster | None = None,
    ) -> list[Judgement]:
        """Judge a batch of messages (faster than one at a time)."""
        ...
