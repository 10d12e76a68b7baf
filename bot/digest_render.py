"""The weekly digest as an email (plain text and HTML, chart inline) or a standalone HTML file.

The chart is a PNG drawn with matplotlib's Agg canvas (no display, no global
pyplot state, so it is safe in a scheduler or worker thread). An email refers
to it by ``cid:``; the standalone file embeds it as a ``data:`` URI.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from moderation.digest import REPEAT_STRIKES, Digest

#: The Content-ID the email's HTML part uses for the chart.
CHART_CID = "digest-chart@classguard"
#: Open cases listed in full; the rest are counted.
OPEN_LIMIT = 20
#: Clauses drawn in the chart; the table lists them all.
HEADINGS_CHARTED = 8
CHART_TITLES = ("Flagged messages, week by week", "By clause of the code of conduct")

SEVERITY_ORDER = ("low", "medium", "high", "critical")
SEVERITY_COLOURS = {
    "low": "#cfd9e3",
    "medium": "#8eadc9",
    "high": "#e0a85e",
    "critical": "#bf5b4f",
}
INK = "#2f3b45"
MUTED = "#7b8793"
THIS_WEEK = "#3d6e96"
LAST_WEEK = "#c5d3df"


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """The digest ready to send: subject, both text parts and the chart."""

    subject: str
    text: str
    #: The HTML part; its chart is ``cid:`` :data:`CHART_CID`.
    html: str
    chart: bytes


def _day(value: date | datetime, fmt: str = "%A %-d %B %Y") -> str:
    return value.strftime(fmt)


def _change(now: int, before: int, unit: str = "") -> str:
    """``3 more than last week``, ``2 fewer…``, ``the same as…``."""
    diff = now - before
    if diff == 0:
        return "the same as last week"
    word = "more" if diff > 0 else "fewer"
    return f"{abs(diff)}{unit} {word} than last week"


def _signed(diff: int) -> str:
    return "–" if diff == 0 else f"{diff:+d}".replace("-", "−")


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def _percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


def _dates(digest: Digest) -> str:
    """``16 to 22 November 2026``, months and years only where they change."""
    start, end = digest.monday, digest.sunday
    if start.year != end.year:
        first = _day(start, "%-d %B %Y")
    elif start.month != end.month:
        first = _day(start, "%-d %B")
    else:
        first = _day(start, "%-d")
    return f"{first} to {_day(end, '%-d %B %Y')}"


def week_title(digest: Digest) -> str:
    """``Week 47: 16 to 22 November 2026``."""
    return f"Week {digest.monday.isocalendar().week}: {_dates(digest)}"


def subject(digest: Digest) -> str:
    """The email subject."""
    week = digest.monday.isocalendar().week
    return f"{digest.school}: class groups digest for week {week} ({_dates(digest)})"


def headline(digest: Digest) -> list[str]:
    """The digest's opening sentences, in plain words."""
    groups = _plural(len(digest.by_group), "class group")
    if digest.flagged == 0:
        first = (
            f"No messages were flagged this week across {groups} "
            f"({_plural(digest.messages, 'message')} in all)."
        )
    else:
        verb = "was" if digest.flagged == 1 else "were"
        if digest.messages:
            share = _percent(100 * digest.flagged / digest.messages)
            counted = f"{digest.flagged} of {_plural(digest.messages, 'message')} ({share})"
        else:
            counted = _plural(digest.flagged, "message")
        first = (
            f"{counted} {verb} flagged this week across {groups}, "
            f"{_change(digest.flagged, digest.last_week_flagged)}."
        )
    lines = [first]
    if digest.escalated:
        cases = _plural(len(digest.escalated), "case")
        verb = "needs" if len(digest.escalated) == 1 else "need"
        lines.append(f"{cases} {verb} the attention of senior leaders (below).")
    else:
        lines.append("Nothing was escalated to senior leaders this week.")
    if digest.open_cases:
        waiting = _plural(len(digest.open_cases), "case")
        verb = "is" if len(digest.open_cases) == 1 else "are"
        lines.append(f"{waiting} {verb} still open for moderators to review or close.")
    return lines


def review_lines(digest: Digest) -> list[str]:
    """What moderators made of the flagged messages: the classifier's real-world quality."""
    week, trend = digest.review, digest.review_trend
    if week.flagged == 0:
        first = "No messages were flagged this week, so there was nothing to review."
    elif week.reviewed == 0:
        these = (
            "this week's flagged message"
            if week.flagged == 1
            else (f"any of this week's {week.flagged} flagged messages")
        )
        first = f"Moderators have not yet reviewed {these}."
    else:
        first = (
            f"Moderators reviewed {week.reviewed} of this week's "
            f"{_plural(week.flagged, 'flagged message')} and found "
            f"{_plural(week.false_positives, 'false positive')} ({_percent(week.share)})."
        )
    weeks = len(digest.trend)
    second = (
        f"Over the last {weeks} weeks: {trend.reviewed} of {trend.flagged} flagged messages "
        f"reviewed, {_plural(trend.false_positives, 'false positive')} ({_percent(trend.share)})."
    )
    return [first, second]


def chart_png(digest: Digest) -> bytes:
    """The week-by-week trend above this week's clauses against last week's, as a PNG.

    matplotlib is imported here, not with the module: it costs the running bot about
    30 MB and most of a second at start-up, for a chart drawn once a week.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(digest.by_heading[:HEADINGS_CHARTED]), 2)
    figure = Figure(figsize=(7.2, 2.6 + 0.32 * rows), dpi=200, layout="constrained")
    FigureCanvasAgg(figure)
    panels: Any = figure.subfigures(2, 1, height_ratios=(2.4, 0.32 * rows + 0.3))
    for panel, title, draw in zip(panels, CHART_TITLES, (_draw_trend, _draw_headings), strict=True):
        panel.suptitle(title, x=0.01, ha="left", fontsize=11, color=INK)
        draw(panel.subplots(), digest)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _style(axes: Any) -> None:
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#b8c2cc")
    axes.tick_params(colors=MUTED, labelsize=9, length=0)


def _draw_trend(axes: Any, digest: Digest) -> None:
    _style(axes)
    weeks = range(len(digest.trend))
    bottom = [0] * len(digest.trend)
    for level in SEVERITY_ORDER:
        heights = [p.by_severity.get(level, 0) for p in digest.trend]
        if any(heights):
            colour = SEVERITY_COLOURS[level]
            axes.bar(weeks, heights, bottom=bottom, width=0.6, color=colour, label=level.title())
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for x, point in zip(weeks, digest.trend, strict=True):
        weight = "bold" if point.week == digest.week else "normal"
        axes.text(
            x,
            point.flagged,
            str(point.flagged),
            ha="center",
            va="bottom",
            fontsize=9,
            color=INK,
            fontweight=weight,
        )
    labels = [_day(p.monday, "%-d %b") for p in digest.trend]
    labels[-1] += "\nthis week"
    axes.set_xticks(list(weeks), labels)
    axes.get_xticklabels()[-1].set_fontweight("bold")
    axes.get_xticklabels()[-1].set_color(INK)
    axes.set_yticks([])
    axes.set_ylim(0, max(max(bottom), 1) * 1.15)
    axes.set_xlabel("week beginning", fontsize=8, color=MUTED)
    if any(bottom):
        _legend(axes, columns=4)


def _draw_headings(axes: Any, digest: Digest) -> None:
    _style(axes)
    rows = list(reversed(digest.by_heading[:HEADINGS_CHARTED]))
    if not rows:
        axes.set_axis_off()
        axes.text(
            0.5,
            0.5,
            "No flagged messages this week or last",
            ha="center",
            va="center",
            color=MUTED,
            fontsize=9,
            transform=axes.transAxes,
        )
        return
    y = range(len(rows))
    bars = (
        (-0.19, [r.last_week for r in rows], LAST_WEEK, MUTED, "Last week"),
        (0.19, [r.this_week for r in rows], THIS_WEEK, INK, "This week"),
    )
    for offset, counts, colour, ink, label in bars:
        axes.barh([i + offset for i in y], counts, 0.36, color=colour, label=label)
        for i, count in zip(y, counts, strict=True):
            if count:
                axes.text(count, i + offset, f" {count}", va="center", fontsize=8.5, color=ink)
    axes.set_yticks(list(y), [r.label for r in rows])
    axes.tick_params(axis="y", labelsize=9, labelcolor=INK)
    axes.set_xticks([])
    axes.set_xlim(0, max(max(r.this_week, r.last_week) for r in rows) * 1.15 + 0.4)
    _legend(axes, columns=2)


def _legend(axes: Any, columns: int) -> None:
    """A legend above the chart's top right, in the order the series were stacked."""
    handles, labels = axes.get_legend_handles_labels()
    axes.legend(
        handles[::-1],
        labels[::-1],
        loc="lower right",
        bbox_to_anchor=(1, 1),
        fontsize=9,
        frameon=False,
        ncols=columns,
        handlelength=1,
        labelcolor=INK,
    )


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(day=_day, signed=_signed, percent=_percent, plural=_plural)
    env.globals.update(change=_change)
    return env


def _values(digest: Digest) -> dict[str, Any]:
    return {
        "d": digest,
        "title": week_title(digest),
        "headline": headline(digest),
        "review": review_lines(digest),
        "subject": subject(digest),
        "open_limit": OPEN_LIMIT,
        "repeat_strikes": REPEAT_STRIKES,
    }


def render_text(digest: Digest) -> str:
    """The plain-text digest."""
    return _environment().get_template("digest.txt.j2").render(_values(digest)).strip() + "\n"


def render_html(digest: Digest, chart_src: str) -> str:
    """The HTML digest; ``chart_src`` is the chart image's address (``cid:`` or ``data:``)."""
    template = _environment().get_template("digest.html.j2")
    return template.render(_values(digest), chart_src=chart_src)


def render_email(digest: Digest) -> RenderedDigest:
    """Everything an email of the digest needs."""
    return RenderedDigest(
        subject=subject(digest),
        text=render_text(digest),
        html=render_html(digest, f"cid:{CHART_CID}"),
        chart=chart_png(digest),
    )


def write_html(digest: Digest, path: Path) -> None:
    """The digest as one self-contained HTML file, chart included."""
    chart = base64.b64encode(chart_png(digest)).decode("ascii")
    html = render_html(digest, f"data:image/png;base64,{chart}")
    path.write_text(html, encoding="utf-8")
