"""The MiniLM encoder (a six-layer BERT) in plain PyTorch, for judging messages.

The running bot computes exactly what ``transformers.BertModel`` computes for
this model, from the same packaged weights, but without importing
``transformers``: its modelling code pulls in ``torch._dynamo``, ``sympy`` and
the distributed-tensor machinery, about 150 MB of memory that a 2-core school
server should not spend on a model this small. Training still goes through
``transformers`` and PEFT; a test checks both give the same embeddings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


class MiniLM:
    """A BERT encoder's forward pass over a dict of weights named as in ``BertModel``.

    The weights are plain tensors, so a LoRA adapter can be merged into them by
    name (see :func:`classifiers.embedder.merge_lora`).
    """

    def __init__(self, weights: dict[str, torch.Tensor], config: dict[str, Any]) -> None:
        self.weights = weights
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config['hidden_act']!r}")

    @classmethod
    def load(cls, folder: Path) -> MiniLM:
        """Read ``config.json`` and ``model.safetensors`` from a model folder."""
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        weights = load_file(str(folder / "model.safetensors"))
        return cls({k.removeprefix("bert."): v for k, v in weights.items()}, config)

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"])

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        w, b = self.weights[f"{name}.weight"], self.weights[f"{name}.bias"]
        return F.layer_norm(x, w.shape, w, b, self.eps)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The last hidden state, shape (batch, tokens, hidden), for single-segment input."""
        w = self.weights
        length = input_ids.shape[1]
        x = (
            F.embedding(input_ids, w["embeddings.word_embeddings.weight"])
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        keep = attention_mask.bool()[:, None, None, :]
        batch, _, hidden = x.shape
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q, k, v = (
                self._linear(x, f"{p}.attention.self.{part}")
                .view(batch, length, self.heads, hidden // self.heads)
                .transpose(1, 2)
                for part in ("query", "key", "value")
            )
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attended = attended.transpose(1, 2).reshape(batch, length, hidden)
            x = self._norm(
                self._linear(attended, f"{p}.attention.output.dense") + x,
                f"{p}.attention.output.LayerNorm",
            )
            inner = F.gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._norm(self._linear(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        return x
