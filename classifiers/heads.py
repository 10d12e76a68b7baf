"""The trained per-category models, stored as one small ``.npz`` file in the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.categories import Category

FloatArray = npt.NDArray[np.float32]


def bundled_heads_path() -> Path:
    """Where the shipped heads live (beside the LoRA adapter they were trained with)."""
    return Path(str(resources.files("classifiers").joinpath("data/model/heads.npz")))


class HeadsMissing(Exception):
    """No trained heads file; ``classguard train`` builds one."""


@dataclass(frozen=True)
class Heads:
    """A linear head per category over the fine-tuned embedding, calibrated thresholds,
    and an example bank.

    The bank holds embeddings of the training breaches, so a judgement can cite
    the nearest example ("looks like: ...") as evidence.
    """

    categories: tuple[Category, ...]
    coef: FloatArray
    intercept: FloatArray
    thresholds: FloatArray
    bank: FloatArray
    bank_category: npt.NDArray[np.int16]
    bank_text: tuple[str, ...]
    meta: dict[str, Any]

    def probabilities(self, embeddings: FloatArray) -> FloatArray:
        """Per-category probability for each row of ``embeddings``."""
        logits = embeddings @ self.coef.T + self.intercept
        probabilities: FloatArray = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return probabilities

    def nearest(self, embedding: FloatArray, category: Category) -> tuple[str, float] | None:
        """The most similar training breach of ``category`` and its cosine similarity."""
        rows = np.flatnonzero(self.bank_category == self.categories.index(category))
        if rows.size == 0:
            return None
        sims = self.bank[rows].astype(np.float32) @ embedding
        best = int(np.argmax(sims))
        return self.bank_text[rows[best]], float(sims[best])

    def save(self, path: Path) -> None:
        """Write the heads; small enough to keep in the repository."""
        np.savez_compressed(
            path,
            categories=np.array([c.value for c in self.categories]),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            bank=self.bank.astype(np.float16),
            bank_category=self.bank_category.astype(np.int16),
            bank_text=np.array(self.bank_text),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> Heads:
        """Read heads written by :meth:`save` (the bundled ones by default)."""
        path = path or bundled_heads_path()
        if not path.exists():
            raise HeadsMissing(f"{path}: no trained classifier heads (run: classguard train)")
        with np.load(path, allow_pickle=False) as data:
            return cls(
                categories=tuple(Category(c) for c in data["categories"]),
                coef=data["coef"].astype(np.float32),
                intercept=data["intercept"].astype(np.float32),
                thresholds=data["thresholds"].astype(np.float32),
                bank=data["bank"].astype(np.float32),
                bank_category=data["bank_category"],
                bank_text=tuple(str(t) for t in data["bank_text"]),
                meta=json.loads(str(data["meta"])),
            )
