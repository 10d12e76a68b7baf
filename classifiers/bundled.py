"""The word lists that ship in ``classifiers/data/``."""

from __future__ import annotations

from importlib import resources


def bundled_words(filename: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``classifiers/data/<filename>``, in file order;
    a line starting with ``#`` is a comment."""
    raw = resources.files("classifiers").joinpath("data", filename).read_text("utf-8")
    lines = (line for line in raw.splitlines() if not line.startswith("#"))
    return tuple(word for line in lines for word in line.split())
