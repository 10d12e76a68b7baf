"""``classguard classify``: judging JSON Lines of messages from a file or standard input."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from bot.cli_base import ConfigOption, RosterOption, app, err, fail
from bot.services import SetupError, classifier_for, roster_from, settings_from

BATCH = 256
MEDIA_KINDS = frozenset({"photo", "video", "document", "audio", "sticker", "other"})


def _rows(handle: IO[str], skipped: list[str]) -> Iterator[tuple[Any, str, str | None]]:
    """Valid ``(id, text, media)`` rows; bad lines are reported and counted, never fatal."""
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "text" not in row:
                raise ValueError('expected an object with "id" and "text"')
            text = row["text"]
            if not isinstance(text, str):
                raise ValueError('"text" must be a string')
            media = row.get("media")
            if media is not None and media not in MEDIA_KINDS:
                raise ValueError(f'unknown media "{media}"')
        except ValueError as exc:
            skipped.append(f"line {number}: {exc}".splitlines()[0])
            continue
        yield row.get("id", number), text, media


def _open_source(source: str) -> IO[str]:
    """The input file, or standard input for ``-``, as UTF-8 with or without a byte-order
    mark; undecodable bytes become U+FFFD."""
    if source == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    return Path(source).open(encoding="utf-8-sig", errors="replace")


@app.command()
def classify(
    source: Annotated[str, typer.Argument(help="JSON Lines file of {id, text, media?}, or -.")],
    roster: RosterOption = None,
    config: ConfigOption = None,
) -> None:
    """Judge each message and print one JSON line per input line."""
    try:
        settings = settings_from(config)
        class_roster = roster_from(roster)
        classifier = classifier_for(settings)
    except SetupError as exc:
        raise fail(str(exc)) from None
    try:
        handle = _open_source(source)
    except OSError as exc:
        raise fail(f"{source}: {exc.strerror}") from None
    skipped: list[str] = []
    batch: list[tuple[Any, str, str | None]] = []

    def flush() -> None:
        judgements = classifier.judge_many(
            [t for _, t, _ in batch], [m for _, _, m in batch], None, class_roster
        )
        for (row_id, _, _), judgement in zip(batch, judgements, strict=True):
            out = {
                "id": row_id,
                "categories": [c.value for c in judgement.categories],
                "scores": {c.value: s for c, s in judgement.scores.items()},
                "severity": judgement.severity.label,
                "evidence": [e.to_dict() for e in judgement.evidence],
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        batch.clear()

    with handle:
        for row in _rows(handle, skipped):
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    for problem in skipped[:20]:
        err.print(f"skipped {problem}")
    if skipped:
        err.print(f"{len(skipped)} line(s) skipped")
