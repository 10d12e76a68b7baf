"""The MiniLM encoder (a six-layer BERT) in plain PyTorch, for judging messages.

The running bot computes exactly what ``transformers.BertModel`` computes for
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
#: shape it meets, up to 1,024 of them. Packed passes have a new shape almost every
#: time, so that cache alone grew a running bot by about 80 MB; without it, matrix
#: products cost a few per cent more. Read when the first kernel is built, so this
#: must be set before the model first runs; a value in the environment wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "0")


def read_weights(folder: Path) -> tuple[Weights, dict[str, Any]]:
    """``model.safetensors`` (named as in ``BertModel``) and ``config.json`` of a model folder."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    weights = load_file(str(folder / "model.safetensors"))
    return {k.removeprefix("bert."): v for k, v in weights.items()}, config


class MiniLM:
    """A BERT encoder's forward pass over a dict of weights named as in ``BertModel``.

    Build it after any LoRA adapter has been merged into ``weights`` (see
    :func:`classifiers.embedder.merge_lora`): the query, key and value weights
    are joined here into one matrix per layer.
    """

    def __init__(self, weights: Weights, config: dict[str, Any]) -> None:
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config['hidden_act']!r}")
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.weights = dict(weights)
        for i in range(self.layers):
            p = f"encoder.layer.{i}.attention.self"
            for kind in ("weight", "bias"):
                names = (f"{p}.{part}.{kind}" for part in ("query", "key", "value"))
                parts = [self.weights.pop(name) for name in names]
                self.weights[f"{p}.qkv.{kind}"] = torch.cat(parts)

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"])

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
        slots = owner * longest + positions  # each token's place in the padded layout
        real = torch.arange(longest)[None, :] < lengths[:, None]
        # The padded layout gathers each real token's row; padding repeats row 0, which
        # attention masks out as a key and whose own output is dropped.
        gather = torch.zeros(count, longest, dtype=torch.long).masked_scatter_(real, tokens)
        ids = torch.tensor([t for s in sequences for t in s])
        x = (
            F.embedding(ids, w["embeddings.word_embeddings.weight"])
            + w["embeddings.position_embeddings.weight"][positions]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        keep = real[:, None, None, :]
        hidden = x.shape[1]
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            qkv = self._linear(x, f"{p}.attention.self.qkv")[gather.view(-1)]
            q, k, v = qkv.view(count, longest, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(-1, hidden)[slots]
            x = self._norm(
                self._linear(attended, f"{p}.attention.output.dense") + x,
                f"{p}.attention.output.LayerNorm",
            )
            inner = F.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._norm(self._linear(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        averaging = torch.zeros(count, len(owner)).index_put_(
            (owner, tokens), 1.0 / lengths[owner].to(x.dtype)
        )
        return averaging @ x
