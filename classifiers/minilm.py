"""The MiniLM encoder (a six-layer BERT) in plain PyTorch, for judging messages.

In float32 the running bot computes exactly what ``transformers.BertModel`` computes for
this model, from the same packaged weights, but without importing
``transformers``: its modelling code pulls in ``torch._dynamo``, ``sympy`` and
the distributed-tensor machinery, about 150 MB of memory that a 2-core school
server should not spend on a model this small. Training still goes through
``transformers`` and PEFT; a test checks both give the same embeddings.

Messages are run *packed*: the tokens of every message in a batch sit in one
long matrix, so the dense layers (nine tenths of the work) never multiply
padding. Only attention, which must keep messages apart, pads them to the
longest message of the batch.
"""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

Weights = dict[str, torch.Tensor]

#: oneDNN, PyTorch's CPU matrix library, keeps a compiled kernel for every matrix
#: shape it meets, up to 1,024 of them. Float32 passes have a new shape almost every
#: time, so that cache alone grew a running bot by about 80 MB; without it, float32
#: products cost a few per cent more. Bfloat16 kernels cost far more to build than
#: to run, and each shape also keeps about 3 MB of packing buffers whatever the
#: cache holds, so bfloat16 passes are padded to one of :data:`BFLOAT16_ROWS` and
#: their few kernels kept. oneDNN reads the capacity when it builds its first
#: kernel, so the encoder sets it as it is built; a value in the environment wins.
BFLOAT16_KERNELS = "128"
#: Row counts a bfloat16 pass is padded up to: fine steps for single messages, then
#: steps of a half or a third, wasting at most a third of a large pass on padding.
BFLOAT16_ROWS = (*range(16, 129, 16), 192, 256, 384, 512, 768, 1024, 1536, 2048)
#: The weight matrices of each layer, in the order a layer multiplies by them.
PRODUCTS = ("attention.self.qkv", "attention.output.dense", "intermediate.dense", "output.dense")
#: Those whose result feeds attention or GELU rather than the residual stream, so
#: their biases are added inside the product, in the encoder's arithmetic.
INNER_PRODUCTS = ("attention.self.qkv", "intermediate.dense")


def read_weights(folder: Path) -> tuple[Weights, dict[str, Any]]:
    """``model.safetensors`` (named as in ``BertModel``) and ``config.json`` of a model folder."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    weights = load_file(str(folder / "model.safetensors"))
    return {k.removeprefix("bert."): v for k, v in weights.items()}, config


class MiniLM:
    """A BERT encoder's forward pass over a dict of weights named as in ``BertModel``.

    Build it after any LoRA adapter has been merged into ``weights`` (see
    :func:`classifiers.embedder.merge_lora`): the query, key and value weights
    are joined here into one matrix per layer. With ``dtype`` bfloat16 the weight
    products run in bfloat16 while the residual stream and layer norms stay in
    float32 (see :class:`classifiers.precision.Precision`).
    """

    def __init__(
        self, weights: Weights, config: dict[str, Any], dtype: torch.dtype = torch.float32
    ) -> None:
        """Takes ``weights`` over: they are joined and converted in place, so that each
        float32 original is freed as its copy is made rather than held beside it."""
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config['hidden_act']!r}")
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.dtype = dtype
        os.environ.setdefault(
            "ONEDNN_PRIMITIVE_CACHE_CAPACITY", "0" if dtype == torch.float32 else BFLOAT16_KERNELS
        )
        self.weights = weights
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            for kind in ("weight", "bias"):
                names = [f"{p}.attention.self.{part}.{kind}" for part in ("query", "key", "value")]
                weights[f"{p}.attention.self.qkv.{kind}"] = torch.cat(
                    [weights.pop(n) for n in names]
                )
            for product in PRODUCTS:
                weights[f"{p}.{product}.weight"] = weights[f"{p}.{product}.weight"].to(dtype)
            for product in INNER_PRODUCTS:
                weights[f"{p}.{product}.bias"] = weights[f"{p}.{product}.bias"].to(dtype)

    def padded(self, rows: int) -> int:
        """How many rows a pass of ``rows`` tokens runs as (see :data:`BFLOAT16_ROWS`)."""
        if self.dtype == torch.float32:
            return rows
        index = bisect.bisect_left(BFLOAT16_ROWS, rows)
        return BFLOAT16_ROWS[index] if index < len(BFLOAT16_ROWS) else rows

    def _inner(self, x: torch.Tensor, name: str) -> torch.Tensor:
        """A product whose result stays in the encoder's arithmetic, for attention or GELU."""
        w = self.weights
        return F.linear(x.to(self.dtype), w[f"{name}.weight"], w[f"{name}.bias"])

    def _outer(self, x: torch.Tensor, name: str, residual: torch.Tensor) -> torch.Tensor:
        """A product added to the float32 residual stream, which layer norm reads in full."""
        out = F.linear(x.to(self.dtype), self.weights[f"{name}.weight"]).float()
        return out.add_(self.weights[f"{name}.bias"]).add_(residual)

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w, b = self.weights[f"{name}.weight"], self.weights[f"{name}.bias"]
        return F.layer_norm(x, w.shape, w, b, self.eps)

    def __call__(self, sequences: Sequence[Sequence[int]]) -> torch.Tensor:
        """Each sequence's mean-pooled last hidden state, shape (sequences, hidden)."""
        w = self.weights
        count = len(sequences)
        lengths = torch.tensor([len(s) for s in sequences])
        longest = int(lengths.max())
        positions = torch.cat([torch.arange(n) for n in lengths.tolist()])
        owner = torch.repeat_interleave(torch.arange(count), lengths)
        tokens = torch.arange(len(owner))
        extra = self.padded(len(owner)) - len(owner)
        # Rows that round the packed matrix up are padding tokens, left out of the average.
        slots = F.pad(owner * longest + positions, (0, extra))
        real = torch.arange(longest)[None, :] < lengths[:, None]
        # The padded layout gathers each real token's row; padding repeats row 0, which
        # attention masks out as a key and whose own output is dropped.
        gather = torch.zeros(count, longest, dtype=torch.long).masked_scatter_(real, tokens)
        ids = F.pad(torch.tensor([t for s in sequences for t in s]), (0, extra))
        x = (
            F.embedding(ids, w["embeddings.word_embeddings.weight"])
            + w["embeddings.position_embeddings.weight"][F.pad(positions, (0, extra))]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        keep = real[:, None, None, :]
        hidden = x.shape[1]
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            qkv = self._inner(x, f"{p}.attention.self.qkv")[gather.view(-1)]
            q, k, v = qkv.view(count, longest, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(-1, hidden)[slots]
            x = self._norm(
                self._outer(attended, f"{p}.attention.output.dense", x),
                f"{p}.attention.output.LayerNorm",
            )
            inner = F.gelu(self._inner(x, f"{p}.intermediate.dense"))
            x = self._norm(self._outer(inner, f"{p}.output.dense", x), f"{p}.output.LayerNorm")
        averaging = torch.zeros(count, len(x)).index_put_(
            (owner, tokens), 1.0 / lengths[owner].to(x.dtype)
        )
        return averaging @ x
