"""The Detoxify backend, on a tiny checkpoint built here in Detoxify's own format (no download)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import string
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

from classifiers.categories import Category
from classifiers.detoxify_backend import (
    ORIGINAL_LABELS,
    DetoxifyScorer,
    DetoxifyUnavailable,
    to_categories,
)
from classifiers.detoxify_bench import build_random_detoxify

#: The labels as the "original" checkpoint names them; Detoxify renames three of them.
CHECKPOINT_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
_WORDS = """
    the a an and or but if to of in on at for with from by is are was were be been you your
    he she it we they them his her their our my me i this that these those not no yes do did
    school class teacher head mum dad child children parents group chat message photo trip
    idiot stupid useless hate kill hurt hit punch threat scared worried kind thanks lovely
    please sorry today tomorrow monday friday week term code door gate pick up late early
"""
WORDS = _WORDS.split()


def tiny_checkpoint(folder: Path) -> tuple[Path, BertForSequenceClassification]:
    """A random BERT with a ~200-token WordPiece vocabulary, saved as Detoxify saves models."""
    pieces = ["##" + c for c in string.ascii_lowercase + string.digits]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *string.ascii_lowercase]
    vocab += [*string.digits, *string.punctuation, *pieces, *WORDS]
    hf_dir = folder / "tiny-bert"
    hf_dir.mkdir()
    (hf_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", "utf-8")
    # The vocabulary file goes first: transformers 4 names it vocab_file, 5 vocab.
    BertTokenizer(str(hf_dir / "vocab.txt"), model_max_length=64).save_pretrained(hf_dir)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    config.num_labels = len(CHECKPOINT_CLASSES)
    model = BertForSequenceClassification(config)
    model.save_pretrained(hf_dir)
    path = folder / "tiny.ckpt"
    torch.save(checkpoint_dict(hf_dir, model), path)
    return path, model


def checkpoint_dict(hf_dir: Path, model: BertForSequenceClassification) -> dict[str, Any]:
    return {
        "config": {
            "arch": {
                "args": {
                    # Detoxify reads config and tokenizer with from_pretrained(model_type).
                    "model_type": str(hf_dir),
                    "model_name": "BertForSequenceClassification",
                    "tokenizer_name": "BertTokenizer",
                    "num_classes": len(CHECKPOINT_CLASSES),
                }
            },
            "dataset": {"args": {"classes": CHECKPOINT_CLASSES}},
        },
        "state_dict": model.state_dict(),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BertForSequenceClassification]:
    return tiny_checkpoint(tmp_path_factory.mktemp("detoxify"))


@pytest.fixture(scope="module")
def scorer(built: tuple[Path, BertForSequenceClassification]) -> DetoxifyScorer:
    return DetoxifyScorer(checkpoint=built[0])


TEXTS = ["you stupid idiot", "thanks, lovely trip today", "i will hurt you at the gate", ""]


def test_loads_the_checkpoint_weights(
    scorer: DetoxifyScorer, built: tuple[Path, BertForSequenceClassification]
) -> None:
    loaded = scorer.model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in built[1].state_dict().items())
    assert scorer.labels == ORIGINAL_LABELS
    assert scorer.tokenizer.tokenize("You stupid idiots") == ["you", "stupid", "idiot", "##s"]


def test_scores_every_label_in_unit_range(scorer: DetoxifyScorer) -> None:
    results = scorer.score(TEXTS)
    assert len(results) == len(TEXTS)
    for scores in results:
        assert tuple(scores) == ORIGINAL_LABELS
        assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_batches_match_single_texts(scorer: DetoxifyScorer) -> None:
    scorer.batch_size = 3  # forces a second batch
    together = scorer.score(TEXTS)
    scorer.batch_size = 32
    for text, scores in zip(TEXTS, together, strict=True):
        [alone] = scorer.score([text])
        assert alone == pytest.approx(scores, abs=1e-5)


def test_long_text_is_truncated(scorer: DetoxifyScorer) -> None:
    [scores] = scorer.score(["you idiot " * 500])
    assert set(scores) == set(ORIGINAL_LABELS)


def test_no_texts(scorer: DetoxifyScorer) -> None:
    assert scorer.score([]) == []
    assert scorer.category_scores([]) == []


def test_category_scores(scorer: DetoxifyScorer) -> None:
    for labels, categories in zip(scorer.score(TEXTS), scorer.category_scores(TEXTS), strict=True):
        assert categories == {
            Category.ABUSE: max(labels["toxicity"], labels["insult"], labels["obscene"]),
            Category.THREAT: labels["threat"],
            Category.DISCRIMINATION: labels["identity_attack"],
        }


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (
            {"toxicity": 0.2, "insult": 0.9, "obscene": 0.1, "threat": 0.3, "identity_attack": 0.4},
            {Category.ABUSE: 0.9, Category.THREAT: 0.3, Category.DISCRIMINATION: 0.4},
        ),
        ({"toxicity": 0.7}, {Category.ABUSE: 0.7}),  # the multilingual model has one label
        ({"sexual_explicit": 0.9, "male": 0.8, "threat": 0.1}, {Category.THREAT: 0.1}),
        ({}, {}),
    ],
)
def test_to_categories(scores: dict[str, float], expected: dict[Category, float]) -> None:
    assert to_categories(scores) == expected


def test_model_by_name_goes_through_detoxify_download(
    monkeypatch: pytest.MonkeyPatch, built: tuple[Path, BertForSequenceClassification]
) -> None:
    path, model = built
    urls: list[str] = []

    def fake_download(url: str, **_: Any) -> dict[str, Any]:
        urls.append(url)
        return checkpoint_dict(path.parent / "tiny-bert", model)

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", fake_download)
    scorer = DetoxifyScorer(model_type="unbiased")
    assert "debiased" in urls[0]
    assert len(scorer.score(["hello"])) == 1


def assert_one_line(exc: pytest.ExceptionInfo[DetoxifyUnavailable], *parts: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    assert "  " not in message
    assert all(part in message for part in parts), message


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(DetoxifyUnavailable) as exc:
        DetoxifyScorer(checkpoint=tmp_path / "nope.ckpt")
    assert_one_line(exc, "not found", "nope.ckpt")


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a checkpoint", bytes(range(256)) * 8],
    ids=["empty", "text", "junk"],
)
def test_corrupt_checkpoint(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.ckpt"
    path.write_bytes(content)
    with pytest.raises(DetoxifyUnavailable) as exc:
        DetoxifyScorer(checkpoint=path)
    assert_one_line(exc, "cannot load the Detoxify checkpoint", "broken.ckpt")


def test_checkpoint_without_config(tmp_path: Path) -> None:
    path = tmp_path / "weights-only.ckpt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(DetoxifyUnavailable) as exc:
        DetoxifyScorer(checkpoint=path)
    assert_one_line(exc, "weights-only.ckpt", "config")


def test_checkpoint_whose_base_model_is_missing(
    tmp_path: Path, built: tuple[Path, BertForSequenceClassification]
) -> None:
    data = checkpoint_dict(tmp_path / "no-such-dir", built[1])
    path = tmp_path / "orphan.ckpt"
    torch.save(data, path)
    with pytest.raises(DetoxifyUnavailable) as exc:
        DetoxifyScorer(checkpoint=path)
    assert_one_line(exc, "orphan.ckpt")


def test_unknown_model_name() -> None:
    with pytest.raises(DetoxifyUnavailable) as exc:
        DetoxifyScorer(model_type="enormous")
    assert_one_line(exc, "unknown Detoxify model 'enormous'", "original")


def test_download_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(url: str, **_: Any) -> None:
        raise ConnectionError(f"cannot reach {url}\nsecond line")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(DetoxifyUnavailable) as exc:
        DetoxifyScorer()
    assert_one_line(exc, "'original'", "downloaded", "cannot reach")


def test_random_detoxify_for_the_bench_is_bert_base() -> None:
    model = build_random_detoxify("original")
    config = model.model.config
    shape = (config.num_hidden_layers, config.hidden_size, config.num_attention_heads)
    assert shape == (12, 768, 12)
    assert model.labels == ORIGINAL_LABELS
    assert model.tokenizer.tokenize("The SCHOOL trip") == ["the", "school", "trip"]
    results = model.score(["you idiot", "see you at the gate"])
    assert all(0.0 <= v <= 1.0 for scores in results for v in scores.values())
    with pytest.raises(ValueError, match="only the 'original'"):
        build_random_detoxify("enormous")
