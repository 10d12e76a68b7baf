"""Fine-tuning MiniLM with a LoRA adapter, through a linear multi-label head.

Only the adapter (about 340k numbers per fine-tuning) is kept, so what ships is small and the
base model stays the packaged one. The head trained beside it is a means of
training: the shipped heads are fitted afterwards on the finished encoder (see
:mod:`classifiers.linear_heads`). Public examples teach only the
categories they were labelled for: their other labels are masked out of the loss.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.embedder import DIMENSION, mean_pool, model_path
from classifiers.linear_heads import MAX_POSITIVE_WEIGHT

#: Unit-length embeddings are scaled before the head so that logits can be confident.
SCALE = 8.0
#: Share of the training steps over which the learning rate climbs to its peak; it then falls
#: linearly to zero, so the last epochs settle the adapter instead of stirring it at full rate.
WARMUP = 0.06
#: With length buckets, each run of this many batches' worth of shuffled messages is sorted by
#: length before it is cut into batches: batches of alike lengths, still drawn from the whole set.
BUCKET_POOL = 50


class TrainingDevice(StrEnum):
    """Where fine-tuning runs. The bot itself always runs on the CPU."""

    CPU = "cpu"
    CUDA = "cuda"


class DeviceUnavailable(Exception):
    """Fine-tuning was asked to run on a GPU this machine does not have."""


def check_device(device: TrainingDevice) -> None:
    """Refuse a GPU this machine lacks before any work is done."""
    import torch

    if device is TrainingDevice.CUDA and not torch.cuda.is_available():
        raise DeviceUnavailable("no CUDA GPU is available here: fine-tune with --device cpu")


def offline() -> None:
    """Never reach for a model hub: every weight ships in a package or the repository."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    # Deprecation notices from the model libraries mean nothing to a school's user.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft)\b")


def load_tokenizer() -> Any:
    """The base model's tokenizer."""
    offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path())


def load_base() -> Any:
    """The base MiniLM as a ``transformers`` model, in evaluation mode, for training."""
    offline()
    from transformers import AutoModel

    return AutoModel.from_pretrained(model_path(), low_cpu_mem_usage=True).eval()


@dataclass(frozen=True, slots=True)
class FineTuneSettings:
    """Training knobs; the defaults are what the shipped model was trained with."""

    rank: int = 8
    epochs: int = 4
    learning_rate: float = 1e-3
    batch_size: int = 32
    max_tokens: int = 96
    seeds: tuple[int, ...] = (20261125, 20261206)
    """One adapter is fine-tuned per seed (its own shuffles, dropout and name swaps), and
    the shipped adapter is their mean (see :mod:`classifiers.soup`): each seed costs a
    whole fine-tuning."""
    max_positive_weight: float = MAX_POSITIVE_WEIGHT
    length_buckets: bool = True
    """Batch messages of alike length, so that next to nothing is padding: random batches of
    the shipped training messages hold 2.7 times as many tokens as the messages, bucketed
    ones 1.03 times. The shipped adapter was trained this way."""


def epoch_batches(
    order: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64] | None,
    batch_size: int,
    rng: np.random.Generator,
) -> list[npt.NDArray[np.int64]]:
    """One epoch's batches of row numbers, from a shuffled ``order`` of all rows.

    Without ``lengths`` the batches are consecutive slices of ``order``. With them, each
    pool of :data:`BUCKET_POOL` batches' worth is sorted by length before it is cut, and
    the batches are then shuffled, so an epoch does not run from short messages to long.
    """
    if lengths is None:
        return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    pool = batch_size * BUCKET_POOL
    batches = []
    for start in range(0, len(order), pool):
        rows = order[start : start + pool]
        rows = rows[np.argsort(lengths[rows], kind="stable")]
        batches += [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def fine_tune(
    texts: Sequence[str],
    labels: npt.NDArray[np.bool_],
    label_mask: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.float32],
    seed: int,
    settings: FineTuneSettings | None = None,
    progress: Callable[[str], None] = lambda _: None,
    device: TrainingDevice = TrainingDevice.CPU,
) -> Any:
    """Train one adapter on ``texts`` (already normalised model inputs) from ``seed``; a PEFT
    model on the CPU.

    ``device`` names where the training runs: a GPU takes minutes instead of an hour and
    a half. The steps are the same on either; the numbers differ in their last digits,
    as floating-point sums taken in another order do.
    """
    settings = settings or FineTuneSettings()
    import torch
    from peft import LoraConfig, get_peft_model

    check_device(device)
    torch.manual_seed(seed)
    tokenizer = load_tokenizer()
    lora = LoraConfig(
        r=settings.rank,
        lora_alpha=2 * settings.rank,
        target_modules=["query", "key", "value", "dense"],
        lora_dropout=0.1,
    )
    model = get_peft_model(load_base(), lora).to(device)
    head = torch.nn.Linear(DIMENSION, labels.shape[1]).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.01)
    y = torch.tensor(labels, dtype=torch.float32, device=device)
    m = torch.tensor(label_mask, dtype=torch.float32, device=device)
    w = torch.tensor(weights, dtype=torch.float32, device=device).unsqueeze(1)
    positives = (y * m).sum(0)
    negatives = ((1 - y) * m).sum(0)
    pos_weight = (negatives / positives.clamp(min=1)).clamp(max=settings.max_positive_weight)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    rng = np.random.default_rng(seed)
    steps = settings.epochs * -(-len(texts) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, warmup_then_decay(steps))
    lengths = (
        token_lengths(tokenizer, texts, settings.max_tokens) if settings.length_buckets else None
    )
    for epoch in range(1, settings.epochs + 1):
        model.train()
        total = 0.0
        order = rng.permutation(len(texts))
        for rows in epoch_batches(order, lengths, settings.batch_size, rng):
            idx = torch.from_numpy(rows).to(device)
            batch = tokenizer(
                [texts[i] for i in rows],
                padding=True,
                truncation=True,
                max_length=settings.max_tokens,
                return_tensors="pt",
            ).to(device)
            pooled = mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])
            raw = loss_fn(head(pooled * SCALE), y[idx]) * m[idx] * w[idx]
            loss = raw.sum() / (m[idx] * w[idx]).sum().clamp(min=1e-6)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
        progress(f"fine-tuning: epoch {epoch} of {settings.epochs}, loss {total:.2f}")
    return model.eval().to("cpu")


def token_lengths(tokenizer: Any, texts: Sequence[str], max_tokens: int) -> npt.NDArray[np.int64]:
    """How many tokens each text becomes, as the training batches will cut it."""
    ids = tokenizer(list(texts), truncation=True, max_length=max_tokens)["input_ids"]
    return np.array([len(row) for row in ids], dtype=np.int64)


def warmup_then_decay(steps: int) -> Callable[[int], float]:
    """The learning rate's multiplier at each step: a linear climb over the first
    :data:`WARMUP` of ``steps``, then a linear fall to zero at the last."""
    warmup = max(1, int(WARMUP * steps))

    def multiplier(step: int) -> float:
        return min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup)))

    return multiplier
