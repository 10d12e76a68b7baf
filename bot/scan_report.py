"""The report of a scanned export: breaches, per-parent counts, and the ladder reached."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.table import Table

from moderation.decision import Decision
from moderation.message import Message


@dataclass(frozen=True, slots=True)
class Breach:
    """One flagged message in the export."""

    time: str
    author: str
    text: str
    categories: list[str]
    severity: str
    clause: str
    strike: int
    step: str
    evidence: list[str]


@dataclass(frozen=True, slots=True)
class ParentCounts:
    """One author's totals."""

    author: str
    messages: int
    breaches: int
    highest_step: str


@dataclass
class ScanReport:
    """Everything ``classguard scan`` shows or writes."""

    source: str
    format: str
    messages: int
    skipped: int
    breaches: list[Breach] = field(default_factory=list)
    parents: list[ParentCounts] = field(default_factory=list)
    by_category: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(
        cls, source: str, fmt: str, skipped: int, results: Sequence[tuple[Message, Decision]]
    ) -> ScanReport:
        """Summarise the pipeline's decisions for an export."""
        report = cls(source=source, format=fmt, messages=len(results), skipped=skipped)
        per_author: dict[str, list[Decision]] = {}
        for message, decision in results:
            per_author.setdefault(message.sender_name, []).append(decision)
            if not decision.flagged or decision.clause is None:
                continue
            for category in decision.categories:
                report.by_category[category.value] = report.by_category.get(category.value, 0) + 1
            report.breaches.append(
                Breach(
                    time=message.sent_at.strftime("%Y-%m-%d %H:%M"),
                    author=message.sender_name,
                    text=message.text or f"[{message.media}]",
                    categories=[c.value for c in decision.categories],
                    severity=decision.severity.label,
                    clause=f"{decision.clause.id} {decision.clause.title}",
                    strike=decision.strike,
                    step=decision.step,
                    evidence=[e.detail for e in decision.evidence[:4]],
                )
            )
        for author, decisions in sorted(per_author.items()):
            flagged = [d for d in decisions if d.flagged]
            report.parents.append(
                ParentCounts(
                    author, len(decisions), len(flagged), flagged[-1].step if flagged else ""
                )
            )
        return report

    def print(self, console: Console) -> None:
        """The report as terminal tables."""
        table = Table("time", "author", "message", "breach", "clause", "step", title="Breaches")
        for b in self.breaches:
            table.add_row(
                b.time,
                b.author,
                b.text,
                f"{', '.join(b.categories)} ({b.severity})",
                b.clause,
                b.step,
            )
        console.print(table)
        people = Table("author", "messages", "breaches", "highest step", title="Per parent")
        for p in self.parents:
            if p.breaches:
                people.add_row(p.author, str(p.messages), str(p.breaches), p.highest_step)
        console.print(people)
        console.print(
            f"{self.source} ({self.format}): {self.messages} messages, "
            f"{len(self.breaches)} breaches, {self.skipped} unreadable line(s) skipped"
        )


def write_json(report: ScanReport, path: Path) -> None:
    """The report as JSON."""
    path.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False), encoding="utf-8")


def write_html(report: ScanReport, path: Path) -> None:
    """The report as a standalone HTML page."""
    env = Environment(loader=PackageLoader("bot", "templates"), autoescape=select_autoescape())
    path.write_text(env.get_template("scan_report.html.j2").render(r=report), encoding="utf-8")
