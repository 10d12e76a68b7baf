"""``classguard train --thresholds-only``: the shipped thresholds are reproducible from the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from classifiers.embedder import bundled_adapter_path
from classifiers.heads import Heads


def test_recalibrating_the_shipped_model_gives_its_thresholds_and_reports_progress(
    tmp_path: Path,
) -> None:
    model = tmp_path / "model"
    shutil.copytree(bundled_adapter_path(), model)
    result = CliRunner().invoke(app, ["train", "--thresholds-only", "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert "calibrating thresholds on" in result.stdout  # not a terminal: one line per step
    np.testing.assert_array_equal(
        Heads.load(model / "heads.npz").thresholds, Heads.load().thresholds
    )
