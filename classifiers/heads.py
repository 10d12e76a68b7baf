"""The trained per-category models, stored as one small ``.npz`` file in the package."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from numpy.lib.npyio import NpzFile

from classifiers.categories import HARMFUL, Category
from classifiers.counter_speech import discounted
from classifiers.lexical import Lexical

FloatArray = npt.NDArray[np.float32]

#: How many of the nearest training examples vote, and how sharply closer ones count more.
NEIGHBOURS = 10
TEMPERATURE = 0.02
#: Messages compared with the bank at a time, so a large batch needs no large matrix.
VOTE_ROWS = 256
#: The least a vote counts for. A message none of whose neighbours carries a category
#: still scores in the order of the head's confidence, so a school that lowers a
#: threshold reaches the likeliest breaches first, but never above sqrt(VOTE_FLOOR),
#: under any calibrated threshold. When introduced, it raised held-out mean average
#: precision from 0.891 to 0.907, with the same macro-F1 and false positives at the
#: recalibrated thresholds.
VOTE_FLOOR = 0.1


def similarities(rows: FloatArray, bank: FloatArray) -> FloatArray:
    """Cosine similarities of unit-length ``rows`` to every bank row.

    The product runs in PyTorch's thread pool, not numpy's: OpenBLAS keeps its own
    threads spinning after a large product, and on two cores they fight PyTorch's
    for the next message, tripling single-message latency.
    """
    product: FloatArray = (torch.from_numpy(rows) @ torch.from_numpy(bank).T).numpy()
    return product


def bundled_heads_path() -> Path:
    """Where the shipped heads live (beside the LoRA adapter they were trained with)."""
    return Path(str(resources.files("classifiers").joinpath("data/model/heads.npz")))


class HeadsMissing(Exception):
    """No usable trained heads file; ``classguard train`` builds one."""


@dataclass(frozen=True)
class Heads:
    """A linear head per category over the fine-tuned embedding, an example bank, and
    calibrated thresholds.

    The bank holds the embeddings and labels of the school-chat training messages,
    acceptable ones included. A message's score for a category is the head's
    probability averaged (geometrically) with the vote of its nearest training
    messages, so a message the head is unsure of is judged by the examples it most
    resembles, and a judgement can cite the nearest breach as evidence.

    Abuse, threats and discrimination keep the head's probability alone. A vote split
    between, say, a threat and a private message must not talk a confident head out
    of a plain threat; and the public data sets that also teach abuse and
    discrimination are not in the bank, so its vote would drown what the head
    learnt from them.

    ``lexical``, when present, is averaged in: a second opinion from the words
    themselves (:mod:`classifiers.lexical`). Heads from before it have none, and
    their thresholds were chosen without it.

    ``coef`` and ``intercept`` have a row per category and, in heads that recognise
    counter-speech, one more for it (:mod:`classifiers.counter_speech`), as do the
    lexical model's columns; that column discounts the categories' scores.
    """

    categories: tuple[Category, ...]
    coef: FloatArray
    intercept: FloatArray
    thresholds: FloatArray
    bank: FloatArray
    bank_labels: npt.NDArray[np.bool_]
    bank_text: tuple[str, ...]
    meta: dict[str, Any]
    lexical: Lexical | None = None

    @property
    def recognises_counter_speech(self) -> bool:
        """Whether these heads have a counter-speech column after the categories'."""
        return len(self.intercept) > len(self.categories)

    def probabilities(self, embeddings: FloatArray) -> FloatArray:
        """The linear heads' probability of each column for each row of ``embeddings``."""
        logits = embeddings @ self.coef.T + self.intercept
        probabilities: FloatArray = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return probabilities

    def votes(self, embeddings: FloatArray) -> FloatArray:
        """Per category, the similarity-weighted share of the nearest bank examples labelled so."""
        votes = np.zeros((len(embeddings), len(self.categories)), dtype=np.float32)
        k = min(NEIGHBOURS, len(self.bank_text))
        if k == 0:
            return votes
        for start in range(0, len(embeddings), VOTE_ROWS):
            similarity = similarities(embeddings[start : start + VOTE_ROWS], self.bank)
            # PyTorch's top-k runs in its thread pool and is several times faster than
            # numpy's single-threaded argpartition over a bank of tens of thousands.
            top = torch.from_numpy(similarity).topk(k, dim=1, sorted=False)
            closeness, nearest = top.values.numpy(), top.indices.numpy()
            weights = np.exp((closeness - 1.0) / TEMPERATURE)
            weights /= weights.sum(axis=1, keepdims=True)
            labels = self.bank_labels[nearest].astype(np.float32)
            votes[start : start + VOTE_ROWS] = np.einsum("nk,nkc->nc", weights, labels)
        return votes

    def scores(self, embeddings: FloatArray, texts: Sequence[str]) -> FloatArray:
        """The scores thresholds apply to: head, neighbours and the lexical model combined
        (see the class). ``texts`` are what was embedded, row for row."""
        combined = self.probabilities(embeddings)
        votes = VOTE_FLOOR + (1.0 - VOTE_FLOOR) * self.votes(embeddings)
        n = len(self.categories)
        head_alone = np.array([c in HARMFUL for c in self.categories])
        combined[:, :n] = np.where(head_alone, combined[:, :n], np.sqrt(combined[:, :n] * votes))
        if self.lexical:
            combined = self.lexical.blend(combined, texts)
        if self.recognises_counter_speech:
            return discounted(combined[:, :n], combined[:, n], self.categories)
        return combined

    def nearest(self, embedding: FloatArray, category: Category) -> tuple[str, float] | None:
        """The most similar training breach of ``category`` and its cosine similarity."""
        rows = np.flatnonzero(self.bank_labels[:, self.categories.index(category)])
        if rows.size == 0:
            return None
        sims = similarities(embedding[None, :], self.bank[rows])[0]
        best = int(np.argmax(sims))
        return self.bank_text[rows[best]], float(sims[best])

    def save(self, path: Path) -> None:
        """Write the heads; small enough to keep in the repository."""
        arrays: dict[str, Any] = {
            "categories": np.array([c.value for c in self.categories]),
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            "thresholds": self.thresholds.astype(np.float32),
            "bank": self.bank.astype(np.float16),
            "bank_labels": self.bank_labels.astype(bool),
            "bank_text": np.array(self.bank_text),
            "meta": np.array(json.dumps(self.meta, sort_keys=True)),
        }
        if self.lexical:
            arrays |= self.lexical.arrays()
        np.savez_compressed(path, **arrays)

    @classmethod
    def linear(
        cls,
        categories: tuple[Category, ...],
        coef: FloatArray,
        intercept: FloatArray,
        meta: dict[str, Any],
    ) -> Heads:
        """Heads with only the linear weights: an empty bank, and thresholds still to choose."""
        return cls(
            categories=categories,
            coef=coef,
            intercept=intercept,
            thresholds=np.full(len(categories), 0.5, dtype=np.float32),
            bank=np.zeros((0, coef.shape[1]), dtype=np.float32),
            bank_labels=np.zeros((0, len(categories)), dtype=bool),
            bank_text=(),
            meta=meta,
        )

    @classmethod
    def load_linear(cls, path: Path) -> Heads:
        """Only the linear weights of a heads file, from this or an older ClassGuard."""
        with opened(path) as data:
            return cls._linear_part(data)

    @classmethod
    def load(cls, path: Path | None = None) -> Heads:
        """Read heads written by :meth:`save` (the bundled ones by default)."""
        path = path or bundled_heads_path()
        with opened(path) as data:
            if "bank_labels" not in data:
                raise HeadsMissing(
                    f"{path}: heads from an older ClassGuard"
                    f" (run: classguard train --heads-only --public DATA --out {path.parent})"
                )
            return replace(
                cls._linear_part(data),
                thresholds=data["thresholds"].astype(np.float32),
                bank=data["bank"].astype(np.float32),
                bank_labels=data["bank_labels"].astype(bool),
                bank_text=tuple(str(t) for t in data["bank_text"]),
                lexical=Lexical.from_arrays(data) if "lexical_coef" in data else None,
            )

    @classmethod
    def _linear_part(cls, data: NpzFile) -> Heads:
        return cls.linear(
            tuple(Category(c) for c in data["categories"]),
            data["coef"].astype(np.float32),
            data["intercept"].astype(np.float32),
            json.loads(str(data["meta"])),
        )


def opened(path: Path) -> NpzFile:
    """A heads file opened for reading; a missing one is :class:`HeadsMissing`."""
    if not path.exists():
        raise HeadsMissing(f"{path}: no trained classifier heads (run: classguard train)")
    data: NpzFile = np.load(path, allow_pickle=False)
    return data
