"""``classguard bench`` runs each side in its own interpreter and reports a failure in one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from classifiers.bench import BenchError, run_side
from classifiers.precision import Precision


def test_bench_prints_the_figures_for_the_classifier() -> None:
    result = CliRunner().invoke(
        app, ["bench", "--messages", "40", "--singles", "4", "--no-detoxify"]
    )
    assert result.exit_code == 0, result.output
    for row in ("batched messages/s", "p50 one message", "p95 one message", "peak RSS"):
        assert row in result.stdout


def test_the_classifier_side_names_the_arithmetic_it_ran_in() -> None:
    result = run_side("classguard", 20, 2, Precision.FLOAT32)
    assert result.name.endswith(", float32)")
    assert result.messages == 20 and result.batched_per_second > 0


def test_a_side_that_fails_is_one_line_naming_it() -> None:
    with pytest.raises(BenchError, match=r"^the nowhere benchmark failed: KeyError: 'nowhere'$"):
        run_side("nowhere", 10, 2)


def test_too_few_single_calls_for_a_p95_is_refused() -> None:
    result = CliRunner().invoke(app, ["bench", "--singles", "1", "--no-detoxify"])
    assert result.exit_code == 2
