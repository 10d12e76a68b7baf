"""Fitting the linear heads on the finished encoder's embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from classifiers.linear_heads import HeadsUnfit, fit_heads

NAMES = ("abuse", "security")


def clusters(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors near three directions: abuse, a gate code, and an acceptable message."""
    centres = np.eye(3, 8, dtype=np.float32)
    kinds = np.repeat(np.arange(3), [20, 20, 60])
    points = centres[kinds] + rng.normal(0, 0.2, (len(kinds), 8)).astype(np.float32)
    labels = np.stack([kinds == 0, kinds == 1], axis=1)
    return points / np.linalg.norm(points, axis=1, keepdims=True), labels


def probabilities(coef: np.ndarray, intercept: np.ndarray, x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1 / (1 + np.exp(-(x @ coef.T + intercept)))
    return result


def test_each_head_learns_its_own_category() -> None:
    x, y = clusters(np.random.default_rng(1))
    coef, intercept = fit_heads(x, y, np.ones_like(y), np.ones(len(x), np.float32), NAMES)
    p = probabilities(coef, intercept, np.eye(3, 8, dtype=np.float32))
    assert p[0, 0] > 0.9 and p[0, 1] < 0.1  # abuse, not a security breach
    assert p[1, 1] > 0.9 and p[1, 0] < 0.1
    assert p[2].max() < 0.1  # the acceptable direction


def test_masked_labels_teach_nothing() -> None:
    """A public tweet labelled only for abuse says nothing about gate codes."""
    x, y = clusters(np.random.default_rng(2))
    misleading = y.copy()
    misleading[:20, 1] = True  # the abuse rows claim to be security breaches too...
    mask = np.ones_like(y)
    mask[:20, 1] = False  # ...but that label is masked out
    masked = fit_heads(x, misleading, mask, np.ones(len(x), np.float32), NAMES)
    security_only = (slice(20, None), slice(1, 2))
    clean = fit_heads(
        x[20:], y[security_only], mask[security_only], np.ones(80, np.float32), NAMES[1:]
    )
    np.testing.assert_allclose(masked[0][1], clean[0][0], atol=1e-4)


def test_a_category_without_breaches_is_a_clear_error() -> None:
    x, y = clusters(np.random.default_rng(3))
    y[:, 1] = False
    with pytest.raises(HeadsUnfit, match="security: the training examples need both"):
        fit_heads(x, y, np.ones_like(y), np.ones(len(x), np.float32), NAMES)
