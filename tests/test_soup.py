"""Averaging fine-tuned adapters into one ("model soup")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from classifiers.embedder import AdapterError, merge_lora
from classifiers.soup import average_adapters

LAYERS = ("encoder.layer.0.attention.self.query", "encoder.layer.0.output.dense")


def adapter(folder: Path, rank: int, seed: int, layers: tuple[str, ...] = LAYERS) -> Path:
    """A small LoRA adapter in PEFT's layout, with random A and B."""
    generator = torch.Generator().manual_seed(seed)
    weights = {}
    for layer in layers:
        prefix = f"base_model.model.{layer}"
        weights[f"{prefix}.lora_A.weight"] = torch.randn(rank, 6, generator=generator)
        weights[f"{prefix}.lora_B.weight"] = torch.randn(5, rank, generator=generator)
    folder.mkdir()
    save_file(weights, str(folder / "adapter_model.safetensors"))
    config = {"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank, "use_rslora": False}
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return folder


def merged(folder: Path) -> dict[str, torch.Tensor]:
    """What the adapter adds to zero weights."""
    weights = {f"{layer}.weight": torch.zeros(5, 6) for layer in LAYERS}
    merge_lora(weights, folder)
    return weights


def test_a_soup_adds_the_mean_of_its_members_updates(tmp_path: Path) -> None:
    first = adapter(tmp_path / "first", rank=2, seed=1)
    second = adapter(tmp_path / "second", rank=3, seed=2)
    average_adapters([first, second], tmp_path / "soup")
    config = json.loads((tmp_path / "soup" / "adapter_config.json").read_text())
    assert config["r"] == 5 and config["lora_alpha"] == 5
    one, two, soup = merged(first), merged(second), merged(tmp_path / "soup")
    for name in soup:
        assert not torch.allclose(one[name], two[name])
        torch.testing.assert_close(soup[name], (one[name] + two[name]) / 2)


def test_a_soup_of_one_adapter_is_that_adapter(tmp_path: Path) -> None:
    only = adapter(tmp_path / "only", rank=4, seed=3)
    average_adapters([only], tmp_path / "soup")
    alone, soup = merged(only), merged(tmp_path / "soup")
    for name in alone:
        torch.testing.assert_close(soup[name], alone[name])


def test_adapters_of_different_layers_are_refused(tmp_path: Path) -> None:
    first = adapter(tmp_path / "first", rank=2, seed=1)
    other = adapter(tmp_path / "other", rank=2, seed=2, layers=LAYERS[:1])
    with pytest.raises(ValueError, match="different layers"):
        average_adapters([first, other], tmp_path / "soup")
    assert not (tmp_path / "soup").exists()


def test_an_adapter_that_is_not_plain_lora_is_refused(tmp_path: Path) -> None:
    dora = adapter(tmp_path / "dora", rank=2, seed=1)
    config = json.loads((dora / "adapter_config.json").read_text())
    (dora / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(AdapterError, match="not a plain LoRA adapter"):
        average_adapters([dora], tmp_path / "soup")
