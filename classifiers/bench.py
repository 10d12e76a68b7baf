"""Speed and memory of ClassGuard's classifier beside a Detoxify-architecture model.

Each side runs in a fresh process so that its peak resident memory is its own.
"""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from classifiers.datasets import school_examples


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One side's figures."""

    name: str
    batched_per_second: float
    p50_ms: float
    p95_ms: float
    peak_rss_mb: float
    messages: int


def sample_texts(count: int) -> list[str]:
    """Realistic messages: the held-out examples, repeated to ``count``."""
    texts = [e.text for e in school_examples("heldout")]
    return [texts[i % len(texts)] for i in range(count)]


def _measure(
    name: str, batch: Callable[[Sequence[str]], object], texts: Sequence[str], singles: int
) -> BenchResult:
    batch(texts[:16])  # warm up
    start = time.perf_counter()
    for offset in range(0, len(texts), 64):
        batch(texts[offset : offset + 64])
    elapsed = time.perf_counter() - start
    latencies = []
    for text in texts[:singles]:
        t0 = time.perf_counter()
        batch([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    quantiles = statistics.quantiles(latencies, n=20)
    return BenchResult(
        name=name,
        batched_per_second=len(texts) / elapsed,
        p50_ms=statistics.median(latencies),
        p95_ms=quantiles[18],
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        messages=len(texts),
    )


def _classguard_side(count: int, singles: int) -> BenchResult:
    from classifiers.classifier import ClassGuardClassifier

    classifier = ClassGuardClassifier()
    return _measure(
        "ClassGuard (fine-tuned MiniLM-L6 + heads)",
        classifier.judge_many,
        sample_texts(count),
        singles,
    )


def _detoxify_side(count: int, singles: int) -> BenchResult:
    from classifiers.detoxify_bench import build_random_detoxify

    model = build_random_detoxify("original")
    return _measure("Detoxify original (BERT-base)", model.score, sample_texts(count), singles)


def _run(side: str, count: int, singles: int, queue: Any) -> None:
    runner = _classguard_side if side == "classguard" else _detoxify_side
    queue.put(asdict(runner(count, singles)))


def run_side(side: str, count: int, singles: int) -> BenchResult:
    """Measure one side in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run, args=(side, count, singles, queue))
    process.start()
    result = queue.get()
    process.join()
    return BenchResult(**result)
