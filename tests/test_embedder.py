"""The running bot's embedder gives what the training stack (transformers + PEFT) would."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from classifiers.datasets import school_examples
from classifiers.embedder import (
    MAX_TOKENS,
    TOKENS_PER_PASS,
    AdapterError,
    Embedder,
    bundled_adapter_path,
    mean_pool,
    model_path,
    passes,
)
from classifiers.finetune import load_base, load_tokenizer
from classifiers.minilm import BFLOAT16_ROWS, MiniLM, read_weights
from classifiers.precision import Precision, resolve

TEXTS = [
    "Mr Jones never replies to anything, he's hopeless at his job",
    "Happy birthday Zara! Have a lovely day",
    "",
    "Zoë's mum — café at 3? 🎉🎂 ＦＵＬＬＷＩＤＴＨ and 日本語",
    "a very long message about the school fair " * 40,
]


def test_hand_merge_and_plain_encoder_match_peft_and_transformers() -> None:
    import torch
    from peft import PeftModel

    reference = PeftModel.from_pretrained(load_base(), str(bundled_adapter_path()))
    reference = reference.merge_and_unload().eval()
    tokenizer = load_tokenizer()
    batch = tokenizer(
        [t or " " for t in TEXTS],
        padding=True,
        truncation=True,
        max_length=MAX_TOKENS,
        return_tensors="pt",
    )
    with torch.inference_mode():
        expected = mean_pool(reference(**batch).last_hidden_state, batch["attention_mask"])
    ours = Embedder(bundled_adapter_path()).embed(TEXTS)
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-5)
    plain = Embedder().embed(TEXTS)
    assert not np.allclose(plain, ours, atol=1e-3)  # the adapter does change the model


def test_tokens_match_the_training_tokenizer() -> None:
    texts = [e.text for e in school_examples("heldout")] + TEXTS
    reference = load_tokenizer()(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    ours = Embedder().tokenizer.encode_batch(texts)
    pairs = zip(texts, reference, ours, strict=True)
    mismatched = [t for t, r, o in pairs if r != o.ids[: sum(o.attention_mask)]]
    assert mismatched == []


def test_scores_do_not_depend_on_the_batch() -> None:
    embedder = Embedder(bundled_adapter_path())
    alone = embedder.embed(TEXTS[:1])
    together = embedder.embed([TEXTS[0], "a much longer message " * 20, "hi"])
    np.testing.assert_allclose(alone[0], together[0], atol=1e-5)


def test_bfloat16_embeddings_point_where_float32_ones_do() -> None:
    texts = [e.text for e in school_examples("heldout")][:300] + TEXTS
    exact = Embedder(bundled_adapter_path()).embed(texts)
    fast = Embedder(bundled_adapter_path(), Precision.BFLOAT16)
    cosines = (exact * fast.embed(texts)).sum(axis=1)
    assert cosines.min() > 0.9995
    alone = fast.embed(TEXTS[:1])[0]
    together = fast.embed([TEXTS[0], "a much longer message " * 20, "hi"])[0]
    assert float(alone @ together) > 0.9995


def test_bfloat16_passes_run_in_a_few_shapes_with_little_padding() -> None:
    weights, config = read_weights(model_path())
    model = MiniLM(weights, config, torch.bfloat16)
    every = range(1, TOKENS_PER_PASS + 1)
    assert {model.padded(rows) for rows in every} == set(BFLOAT16_ROWS)
    assert all(rows <= model.padded(rows) <= max(rows + 15, rows * 3 // 2) for rows in every)
    exact = MiniLM(read_weights(model_path())[0], config)
    assert exact.padded(37) == 37


def test_auto_means_bfloat16_only_where_the_processor_has_it_and_it_is_faster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import classifiers.precision

    cases = (
        (True, True, Precision.BFLOAT16),
        (True, False, Precision.FLOAT32),
        (False, True, Precision.FLOAT32),
        (False, False, Precision.FLOAT32),
    )
    for native, faster, expected in cases:
        monkeypatch.setattr(classifiers.precision, "native_bfloat16", lambda n=native: n)
        monkeypatch.setattr(classifiers.precision, "bfloat16_faster", lambda f=faster: f)
        assert resolve(Precision.AUTO) is expected
        assert resolve(Precision.FLOAT32) is Precision.FLOAT32
        assert resolve(Precision.BFLOAT16) is Precision.BFLOAT16


def test_the_precision_measurement_times_a_real_product() -> None:
    import torch

    from classifiers.precision import product_seconds

    seconds = product_seconds(torch.float32, repeats=2)
    assert 0 < seconds < 1


def test_passes_cover_every_message_once_within_the_token_budget() -> None:
    lengths = [2, 2, 3, 9, 40, 40, 41, 128, 128, 128] * 20
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    runs = list(passes(order, lengths))
    assert [i for run in runs for i in run] == order
    assert all(max(lengths[i] for i in run) * len(run) <= TOKENS_PER_PASS for run in runs)
    assert len(runs) < len(lengths) / 4  # messages share passes
    assert list(passes([0], [TOKENS_PER_PASS + 1])) == [[0]]  # an oversized one still runs


def test_an_unknown_adapter_kind_is_refused(tmp_path: Path) -> None:
    config = json.loads((bundled_adapter_path() / "adapter_config.json").read_text())
    (tmp_path / "adapter_config.json").write_text(json.dumps({**config, "use_dora": True}))
    with pytest.raises(AdapterError, match="not a plain LoRA adapter"):
        Embedder(tmp_path)
