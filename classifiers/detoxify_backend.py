"""Detoxify as a second opinion on abuse, threats and discrimination.

A school may point ClassGuard at a Detoxify model: by name ("original",
"unbiased"...), which Detoxify downloads, or as a local ``.ckpt`` checkpoint,
which works offline. A checkpoint is a pickle (Detoxify loads it with
``weights_only=False``), so only configure one from a trusted source.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from classifiers.categories import Category

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

#: Detoxify's "original" labels, under the names Detoxify reports them.
ORIGINAL_LABELS = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
)
#: Which Detoxify labels speak for which ClassGuard category (the highest counts).
CATEGORY_LABELS: dict[Category, tuple[str, ...]] = {
    Category.ABUSE: ("toxicity", "insult", "obscene"),
    Category.THREAT: ("threat",),
    Category.DISCRIMINATION: ("identity_attack",),
}


class DetoxifyUnavailable(Exception):
    """The Detoxify model could not be loaded; the message is one line, fit for a log."""


def to_categories(scores: Mapping[str, float]) -> dict[Category, float]:
    """ClassGuard category scores from one text's Detoxify label scores."""
    out: dict[Category, float] = {}
    for category, labels in CATEGORY_LABELS.items():
        present = [scores[label] for label in labels if label in scores]
        if present:
            out[category] = max(present)
    return out


class DetoxifyModel:
    """A Detoxify-format classifier: a Hugging Face sequence classifier and its tokenizer.

    Each label's score is the sigmoid of its logit, as in ``Detoxify.predict``.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        labels: Sequence[str],
        *,
        batch_size: int = 32,
    ) -> None:
        model.train(False)  # .eval(), which transformers leaves untyped: no dropout
        self.model = model
        self.tokenizer = tokenizer
        self.labels = tuple(labels)
        self.batch_size = batch_size

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Each text's score in [0, 1] for every label the model has."""
        out: list[dict[str, float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            inputs = self.tokenizer(batch, return_tensors="pt", truncation=True, padding=True)
            with torch.inference_mode():
                logits = self.model(**inputs.to(self.model.device)).logits
            rows: list[list[float]] = torch.sigmoid(logits).cpu().tolist()
            out += [dict(zip(self.labels, row, strict=True)) for row in rows]
        return out

    def category_scores(self, texts: Sequence[str]) -> list[dict[Category, float]]:
        """Abuse, threat and discrimination scores for each text."""
        return [to_categories(scores) for scores in self.score(texts)]


class DetoxifyScorer(DetoxifyModel):
    """Detoxify loaded by model name (downloads it) or from a local checkpoint.

    With ``checkpoint`` the checkpoint's own config says what it is and
    ``model_type`` is not used; with neither, the "original" model is loaded.
    """

    def __init__(
        self,
        model_type: str | None = None,
        checkpoint: str | Path | None = None,
        *,
        device: str = "cpu",
    ) -> None:
        loaded = _load(model_type or "original", checkpoint, device)
        super().__init__(loaded.model, loaded.tokenizer, loaded.class_names)


def _load(model_type: str, checkpoint: str | Path | None, device: str) -> Any:
    """A ``Detoxify`` instance, or a one-line :class:`DetoxifyUnavailable`."""
    from detoxify import Detoxify
    from detoxify.detoxify import MODEL_URLS
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if checkpoint is not None:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise DetoxifyUnavailable(f"Detoxify checkpoint not found: {path}")
        what = f"the Detoxify checkpoint {path}"
        source: dict[str, Any] = {"checkpoint": os.fspath(path)}
    else:
        if model_type not in MODEL_URLS:
            known = ", ".join(MODEL_URLS)
            raise DetoxifyUnavailable(f"unknown Detoxify model {model_type!r} (known: {known})")
        what = f"the Detoxify {model_type!r} model (it is downloaded on first use)"
        source = {"model_type": model_type}
    try:
        return Detoxify(device=device, **source)
    except Exception as exc:  # torch, pickle, network and transformers errors alike
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        reason = " ".join(lines[0].split())[:200]
        raise DetoxifyUnavailable(f"cannot load {what}: {reason}") from exc
