"""One adapter from several fine-tunings: the mean of their LoRA updates (a "model soup").

Fine-tunings that differ only in their seed (the order of the batches, the dropout, the
names swapped in) reach equal skill but make different confident mistakes, and the mean of
their weight updates often ranks messages better than either (Wortsman et al., 2022, *Model
soups*; for the shipped model, by a little: see docs/classifier.md, "Two fine-tunings
averaged"). The mean of updates ``B_i·A_i·s_i`` is itself a LoRA update, of the summed rank
(each ``A_i`` scaled by ``s_i / n``, the ``B_i`` side by side, and a scaling of one), so
the soup is saved, loaded and merged like any adapter and costs nothing at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from classifiers.embedder import lora_scaling

WEIGHTS = "adapter_model.safetensors"
CONFIG = "adapter_config.json"


def average_adapters(members: Sequence[Path], out: Path) -> None:
    """Write to ``out`` the adapter whose update is the mean of the ``members``' updates.

    The members must adapt the same layers; the config is the first member's, with the
    summed rank and a scaling of one.
    """
    import torch
    from safetensors.torch import load_file, save_file

    if not members:
        raise ValueError("a soup needs at least one adapter")
    scales = [lora_scaling(member) / len(members) for member in members]
    loras = [load_file(str(member / WEIGHTS)) for member in members]
    if any(lora.keys() != loras[0].keys() for lora in loras):
        raise ValueError("the adapters adapt different layers")
    soup = {}
    for key in loras[0]:
        if key.endswith(".lora_A.weight"):
            b = key.replace(".lora_A.", ".lora_B.")
            soup[key] = torch.cat(
                [lora[key] * s for lora, s in zip(loras, scales, strict=True)]
            ).contiguous()
            soup[b] = torch.cat([lora[b] for lora in loras], dim=1).contiguous()
    rank = sum(int(json.loads((m / CONFIG).read_text())["r"]) for m in members)
    first = json.loads((members[0] / CONFIG).read_text())
    config = {**first, "r": rank, "lora_alpha": rank, "use_rslora": False}
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True))
    save_file(soup, str(out / WEIGHTS))
