"""Labelled data: ClassGuard's own school-chat examples and the public sets used alongside.

Public sets (OLID, Davidson, ToxiGen) are read from a folder given at training
time and never copied into the project. They are American tweets and
machine-written statements, so they only inform abuse and discrimination, and
with a lower weight than the school-chat examples.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from classifiers.categories import Category

PUBLIC_CATEGORIES = frozenset({Category.ABUSE, Category.DISCRIMINATION})


def label_mask(examples: Sequence[Example]) -> npt.NDArray[np.bool_]:
    """Which labels teach, per example and category (in :class:`Category` order): public
    examples were labelled only for :data:`PUBLIC_CATEGORIES`."""
    return np.array(
        [[e.source == "school" or c in PUBLIC_CATEGORIES for c in Category] for e in examples],
        dtype=bool,
    )


class DataError(Exception):
    """A labelled file that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    text: str
    labels: frozenset[Category]
    media: str | None = None
    source: str = "school"
    weight: float = 1.0
    counter_speech: bool = False
    """An acceptable message that calls out, reports or removes a breach (see
    :mod:`classifiers.counter_speech`); marked ``"counter_speech": true`` in the files."""


def labelled_folder() -> Path:
    """The shipped school-chat examples, one file per topic."""
    return Path(str(resources.files("classifiers").joinpath("data/labelled")))


def calibration_examples() -> list[Example]:
    """Messages that only choose thresholds: no model learns from them, and none is in
    the held-out set (see :func:`classifiers.train.calibrate`)."""
    return read_folder(labelled_folder().parent / "calibration")


def in_heldout(key: str) -> bool:
    """Whether an example is held out: one in five, by a hash of its text (or OLID tweet id)."""
    return hashlib.sha256(key.encode()).digest()[0] % 5 == 0


def school_examples(split: str) -> list[Example]:
    """The ``train`` or ``heldout`` part of the shipped examples; training never sees the latter."""
    if split not in ("train", "heldout"):
        raise ValueError(f"unknown split {split!r}")
    examples = read_folder(labelled_folder())
    return [e for e in examples if in_heldout(e.text) == (split == "heldout")]


def read_folder(folder: Path) -> list[Example]:
    """Every labelled example in ``folder``'s JSON Lines files, file by file in name order."""
    return [e for p in sorted(folder.glob("*.jsonl")) for e in read_labelled(p)]


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A data file's text; a missing or undecodable file is an error naming it."""
    try:
        return path.read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None


def read_labelled(path: Path) -> list[Example]:
    """Read JSON Lines of ``{"text", "labels", "media"?, "counter_speech"?}``; a bad line is an
    error naming it."""
    examples = []
    for number, line in enumerate(read_text(path, "utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            labels = frozenset(Category(label) for label in row.get("labels", []))
            counter_speech = row.get("counter_speech", False)
            if not isinstance(counter_speech, bool) or (counter_speech and labels):
                raise ValueError("counter_speech is true or false, and true only with no labels")
            examples.append(
                Example(str(row["text"]), labels, row.get("media"), counter_speech=counter_speech)
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}:{number}: {exc}") from None
    return examples


def read_rows(path: Path, columns: set[str], delimiter: str = ",") -> list[dict[str, str]]:
    """A public CSV or TSV file's rows; a missing, unreadable or wrongly shaped file is an error."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            missing = columns - set(reader.fieldnames or ())
            if missing:
                raise DataError(f"{path}: expected column(s) {', '.join(sorted(missing))}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if any(None in row.values() for row in rows):
        raise DataError(f"{path}: some rows have fewer fields than the header")
    return rows


def read_olid(folder: Path, *, heldout: bool, limit: int | None = None) -> Iterator[Example]:
    """OLID training rows: OFF counts as abuse, NOT as acceptable."""
    path = folder / "olid" / "olid-training-v1.0.tsv"
    rows = read_rows(path, {"id", "tweet", "subtask_a"}, delimiter="\t")
    rows = [r for r in rows if in_heldout(r["id"]) == heldout]
    rows.sort(key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    for row in rows[:limit]:
        labels = frozenset({Category.ABUSE}) if row["subtask_a"] == "OFF" else frozenset()
        yield Example(row["tweet"], labels, source="olid", weight=0.5)


def read_davidson(folder: Path, limit: int = 400) -> Iterator[Example]:
    """Davidson's tweets (a deterministic sample): hate speech, offensive, or neither."""
    rows = read_rows(folder / "davidson" / "labeled_data.csv", {"tweet", "class"})
    rows.sort(key=lambda r: hashlib.sha256(r["tweet"].encode()).hexdigest())
    for row in rows[:limit]:
        kind = row["class"]
        labels = {"0": {Category.DISCRIMINATION, Category.ABUSE}, "1": {Category.ABUSE}}
        yield Example(
            row["tweet"], frozenset(labels.get(kind, set())), source="davidson", weight=0.2
        )


def read_toxigen(folder: Path, per_file: int = 30) -> Iterator[Example]:
    """ToxiGen statements: hate about a group is discrimination; neutral is acceptable."""
    paths = sorted((folder / "toxigen").glob("*_1k.txt"))
    if not paths:
        raise DataError(f"{folder / 'toxigen'}: no ToxiGen files (*_1k.txt)")
    for path in paths:
        labels = (
            frozenset({Category.DISCRIMINATION}) if path.name.startswith("hate_") else frozenset()
        )
        statements = dict.fromkeys(
            part.strip().removeprefix("- ").strip()
            for line in read_text(path).splitlines()
            for part in line.split("\\n")
        )
        kept = [s for s in statements if len(s) >= 12][:per_file]
        for statement in kept:
            yield Example(statement, labels, source="toxigen", weight=0.4)


def read_public(folder: Path) -> list[Example]:
    """The public examples used for training: deterministic samples, never OLID's held-out part.

    Samples, not whole sets: the school-chat examples must stay the main signal.
    """
    return [
        *read_olid(folder, heldout=False, limit=1600),
        *read_davidson(folder),
        *read_toxigen(folder),
    ]
