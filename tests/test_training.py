"""``classguard train --calibrate-only``: the shipped heads are reproducible from the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from classifiers.embedder import bundled_adapter_path
from classifiers.heads import Heads


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
