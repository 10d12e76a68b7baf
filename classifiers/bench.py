"""Speed and memory of ClassGuard's classifier beside a Detoxify-architecture model.

Each side runs in a fresh interpreter (``python -m classifiers.bench SIDE ...``)
that imports only what that side needs, so that its peak resident memory is its
own: a ``multiprocessing`` child would first re-import the ``classguard`` command
and with it the chat, database and scheduler libraries, about 100 MB.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from classifiers.datasets import school_examples
from classifiers.precision import Precision


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


def _classguard_side(count: int, singles: int, precision: Precision) -> BenchResult:
    from classifiers.classifier import ClassGuardClassifier
    from classifiers.embedder import shared_embedder

    embedder = shared_embedder(precision)
    classifier = ClassGuardClassifier(embedder=embedder)
    return _measure(
        f"ClassGuard (fine-tuned MiniLM-L6 + heads, {embedder.precision})",
        classifier.judge_many,
        sample_texts(count),
        singles,
    )


def _detoxify_side(count: int, singles: int, precision: Precision) -> BenchResult:
    """Detoxify runs as it is published, in float32, whatever ``precision`` says."""
    from classifiers.detoxify_bench import build_random_detoxify

    model = build_random_detoxify("original")
    return _measure("Detoxify original (BERT-base)", model.score, sample_texts(count), singles)


SIDES = {"classguard": _classguard_side, "detoxify": _detoxify_side}


class BenchError(Exception):
    """A side of the benchmark could not run; the message is its last line of errors."""


def run_side(
    side: str, count: int, singles: int, precision: Precision = Precision.AUTO
) -> BenchResult:
    """Measure one side in a fresh interpreter."""
    arguments = [side, str(count), str(singles), precision.value]
    command = [sys.executable, "-m", "classifiers.bench", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        raise BenchError(f"the {side} benchmark failed: {last}")
    return BenchResult(**json.loads(done.stdout.splitlines()[-1]))


if __name__ == "__main__":
    side, count, singles, precision = sys.argv[1:5]
    print(json.dumps(asdict(SIDES[side](int(count), int(singles), Precision(precision)))))
