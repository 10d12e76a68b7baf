"""The weekly digest for senior leaders: one ISO week's figures from the incident log.

Weeks are ISO weeks, Monday to Sunday, in the school's timezone. Figures count
flagged messages by when they were sent; the re-judgement of an edited message
is not counted again. Case states (open, confirmed, false positive…) are as they
stand when the digest is made. Nothing here renders or sends anything: see
:mod:`bot.digest_render` and the outbox.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from classifiers.categories import Category, Severity
from config.schema import Digest as DigestConfig
from config.schema import Settings
from moderation.cases import CaseState, state_of
from moderation.escalation import LETTERS
from storage.models import DigestRun, Incident, MessageCount, OutboxItem
from storage.repository import PARDONING_EVENTS, IncidentLog, group_key

#: How many weeks the trend covers, the digest's own week included.
TREND_WEEKS = 8
#: A parent with this many live strikes in the escalation window is listed.
REPEAT_STRIKES = 2
#: The longest excerpt of a flagged message quoted for an escalated case.
EXCERPT_CHARS = 140
DIGEST_KIND = "digest"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The ladder's steps as the digest names them.
STEP_LABELS = {
    "warn": "private warning",
    "alert_moderators": "moderators alerted",
    "meeting_letter": "letter inviting a meeting",
    "stop_letter": "letter asking them to stop",
    "removal": "removal recommended",
    "edit": "edited message judged again",
}

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True, slots=True)
class IsoWeek:
    """An ISO 8601 week, written ``2026-W47``."""

    year: int
    number: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.number, 1)
        except ValueError:
            raise ValueError(f"{self} is not a week of {self.year}") from None

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2026-W47`` (or ``2026W47``) as a week; :class:`ValueError` for anything else."""
        match = _WEEK.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not an ISO week such as 2026-W47")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        """The week a date falls in."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> date:
        """The week's first day."""
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        """The week ``weeks`` later (earlier when negative)."""
        return IsoWeek.containing(self.monday + timedelta(weeks=weeks))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Local midnight starting Monday, and local midnight after Sunday."""
        start = datetime.combine(self.monday, time(0), tzinfo=zone)
        return start, datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=zone)

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def latest_due(config: DigestConfig, now: datetime) -> datetime:
    """The last scheduled digest time at or before ``now``, in the school's timezone.

    The time is the wall-clock time on the configured day, so it moves with the
    clocks: 16:00 on Friday is 15:00 UTC in summer and 16:00 UTC in winter.
    """
    zone = ZoneInfo(config.timezone)
    local = now.astimezone(zone)
    day = local.date() - timedelta(days=(local.weekday() - WEEKDAYS.index(config.day_of_week)) % 7)
    due = datetime.combine(day, time(config.hour, config.minute), tzinfo=zone)
    if due.astimezone(UTC) > now.astimezone(UTC):
        due = datetime.combine(day - timedelta(days=7), due.timetz())
    return due


def due_week(config: DigestConfig, now: datetime) -> IsoWeek:
    """The week whose digest was due last: the one a late or manual run should cover."""
    return IsoWeek.containing(latest_due(config, now).date())


@dataclass(frozen=True, slots=True)
class Tally:
    """One row of a breakdown: this week's count and last week's."""

    key: str
    label: str
    this_week: int
    last_week: int

    @property
    def change(self) -> int:
        """How many more (or fewer, when negative) than last week."""
        return self.this_week - self.last_week


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One class group's week."""

    name: str
    platform: str
    mode: str
    messages: int
    flagged: int
    last_week_flagged: int

    @property
    def rate(self) -> float | None:
        """Flagged messages as a percentage of all messages, when there were any."""
        return 100 * self.flagged / self.messages if self.messages else None


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of the trend."""

    week: str
    monday: date
    flagged: int
    by_severity: dict[str, int]
    messages: int


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A case as the digest lists it; ``excerpt`` only for cases escalated to SLT."""

    case: int
    sent_at: datetime
    group: str
    parent: str
    headings: list[str]
    severity: str
    step: str
    state: str
    advice: str | None
    #: The group was in observe mode: nobody was told at the time.
    observed: bool
    excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class RepeatParent:
    """A parent with several live strikes in the escalation window."""

    name: str
    strikes: int
    this_week: int
    latest_step: str
    groups: list[str]


@dataclass(frozen=True, slots=True)
class Review:
    """How moderators judged flagged messages: the classifier's real-world quality."""

    flagged: int
    reviewed: int
    false_positives: int

    @property
    def share(self) -> float | None:
        """False positives as a percentage of the reviewed messages."""
        return 100 * self.false_positives / self.reviewed if self.reviewed else None


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything the weekly digest says, as plain data (also the outbox payload)."""

    school: str
    week: str
    monday: date
    sunday: date
    timezone: str
    #: When the figures were taken, in the school's timezone.
    generated_at: datetime
    window_days: int
    messages: int
    last_week_messages: int
    flagged: int
    last_week_flagged: int
    by_heading: list[Tally]
    by_severity: list[Tally]
    by_group: list[GroupFigures]
    trend: list[WeekPoint]
    escalated: list[CaseLine]
    repeat_parents: list[RepeatParent]
    open_cases: list[CaseLine]
    review: Review
    review_trend: Review
    #: Notifications the outbox gave up on; someone should look at ``classguard outbox``.
    undelivered: int

    def to_payload(self) -> dict[str, Any]:
        """JSON-ready data that :meth:`from_payload` turns back into the digest."""
        data: dict[str, Any] = _ADAPTER.dump_python(self, mode="json")
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Digest:
        """The digest from :meth:`to_payload` output."""
        return _ADAPTER.validate_python(data)


_ADAPTER = TypeAdapter(Digest)


def heading(settings: Settings, category: str) -> str:
    """A category in the school's own words: the title of the clause that covers it."""
    try:
        clause = settings.clause_for(Category(category))
    except ValueError:
        clause = None
    return clause.title if clause else category.replace("_", " ").capitalize()


def excerpt(text: str, media: str | None, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line quotation of a flagged message."""
    flat = " ".join(text.split())
    if not flat:
        return f"[{media or 'media'}]"
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _verdict(incident: Incident) -> str | None:
    """The moderators' latest verdict on an incident: confirmed or false_positive."""
    verdicts = [e.kind for e in incident.events if e.kind in ("confirmed", "false_positive")]
    return verdicts[-1] if verdicts else None


def _review(incidents: Iterable[Incident]) -> Review:
    verdicts = [_verdict(i) for i in incidents]
    return Review(
        flagged=len(verdicts),
        reviewed=sum(v is not None for v in verdicts),
        false_positives=sum(v == "false_positive" for v in verdicts),
    )


def _live_strike(incident: Incident) -> bool:
    return incident.strike == 1 and not any(e.kind in PARDONING_EVENTS for e in incident.events)


class _Week:
    """A week's incidents and message counts."""

    def __init__(
        self,
        week: IsoWeek,
        zone: ZoneInfo,
        incidents: Sequence[Incident],
        counts: Sequence[MessageCount],
    ) -> None:
        self.week = week
        start, end = week.bounds(zone)
        self.incidents = [i for i in incidents if start <= i.sent_at < end]
        self.counts = [c for c in counts if week.monday <= c.day <= week.sunday]

    @property
    def messages(self) -> int:
        return sum(c.total for c in self.counts)


class DigestBuilder:
    """Gathers one week's digest from the incident log."""

    def __init__(self, settings: Settings, log: IncidentLog) -> None:
        self.settings = settings
        self.log = log
        self.zone = ZoneInfo(settings.digest.timezone)

    def build(self, week: IsoWeek, now: datetime) -> Digest:
        """The digest for ``week``, with case states as they stand at ``now``."""
        first = week.shifted(1 - TREND_WEEKS)
        every = self.log.incidents()
        counted = [i for i in every if i.step != "edit"]
        counts = self.log.counts(first.monday, week.sunday + timedelta(days=1))
        weeks = [_Week(first.shifted(n), self.zone, counted, counts) for n in range(TREND_WEEKS)]
        this, last = weeks[-1], weeks[-2]
        _, week_end = week.bounds(self.zone)
        return Digest(
            school=self.settings.school.name,
            week=str(week),
            monday=week.monday,
            sunday=week.sunday,
            timezone=self.settings.digest.timezone,
            generated_at=now.astimezone(self.zone),
            window_days=self.settings.escalation.window_days,
            messages=this.messages,
            last_week_messages=last.messages,
            flagged=len(this.incidents),
            last_week_flagged=len(last.incidents),
            by_heading=self._by_heading(this, last),
            by_severity=self._by_severity(this, last),
            by_group=self._by_group(this, last),
            trend=[self._point(w) for w in weeks],
            escalated=[
                self._line(i, quote=True)
                for i in sorted(this.incidents, key=lambda i: i.sent_at)
                if i.step in LETTERS or i.advice
            ],
            repeat_parents=self._repeat_parents(counted, week_end, this),
            open_cases=[
                self._line(i)
                for i in sorted(every, key=lambda i: i.sent_at)
                if i.sent_at < week_end
                and state_of(i.events) not in (CaseState.CLOSED, CaseState.FALSE_POSITIVE)
            ],
            review=_review(this.incidents),
            review_trend=_review(i for w in weeks for i in w.incidents),
            undelivered=len(self.log.outbox(["failed"])),
        )

    def _by_heading(self, this: _Week, last: _Week) -> list[Tally]:
        now = Counter(c for i in this.incidents for c in i.categories)
        before = Counter(c for i in last.incidents for c in i.categories)
        rows = [
            Tally(c, heading(self.settings, c), now[c], before[c]) for c in set(now) | set(before)
        ]
        return sorted(rows, key=lambda t: (-t.this_week, -t.last_week, t.label))

    def _by_severity(self, this: _Week, last: _Week) -> list[Tally]:
        now = Counter(i.severity for i in this.incidents)
        before = Counter(i.severity for i in last.incidents)
        levels = sorted((s for s in Severity if s > Severity.NONE), reverse=True)
        return [Tally(s.label, s.label.capitalize(), now[s], before[s]) for s in levels]

    def _by_group(self, this: _Week, last: _Week) -> list[GroupFigures]:
        keys = [group_key(g.platform, g.chat_id) for g in self.settings.groups]
        seen = [group_key(i.platform, i.group_id) for i in (*this.incidents, *last.incidents)]
        keys += sorted({*seen, *(c.group_id for c in this.counts)} - set(keys))
        messages: Counter[str] = Counter()
        for count in this.counts:
            messages[count.group_id] += count.total
        flagged = Counter(group_key(i.platform, i.group_id) for i in this.incidents)
        before = Counter(group_key(i.platform, i.group_id) for i in last.incidents)
        rows = []
        for key in keys:
            platform, _, chat_id = key.partition(":")
            group = self.settings.group(platform, chat_id)
            rows.append(
                GroupFigures(
                    name=group.name if group else chat_id,
                    platform=platform,
                    mode=group.mode.value if group else "not configured",
                    messages=messages[key],
                    flagged=flagged[key],
                    last_week_flagged=before[key],
                )
            )
        return rows

    def _point(self, week: _Week) -> WeekPoint:
        severities = Counter(Severity(i.severity).label for i in week.incidents)
        return WeekPoint(
            week=str(week.week),
            monday=week.week.monday,
            flagged=len(week.incidents),
            by_severity=dict(severities),
            messages=week.messages,
        )

    def _group_name(self, incident: Incident) -> str:
        group = self.settings.group(incident.platform, incident.group_id)
        return group.name if group else incident.group_id

    def _line(self, incident: Incident, *, quote: bool = False) -> CaseLine:
        return CaseLine(
            case=incident.id,
            sent_at=incident.sent_at.astimezone(self.zone),
            group=self._group_name(incident),
            parent=incident.person.display_name,
            headings=[heading(self.settings, c) for c in incident.categories],
            severity=Severity(incident.severity).label,
            step=STEP_LABELS.get(incident.step, incident.step.replace("_", " ")),
            state=state_of(incident.events).value,
            advice=incident.advice,
            observed=incident.mode == "observe",
            excerpt=excerpt(incident.text, incident.media) if quote else None,
        )

    def _repeat_parents(
        self, incidents: Sequence[Incident], week_end: datetime, this: _Week
    ) -> list[RepeatParent]:
        since = week_end - timedelta(days=self.settings.escalation.window_days)
        strikes: dict[int, list[Incident]] = defaultdict(list)
        for incident in incidents:
            if since <= incident.sent_at < week_end and _live_strike(incident):
                strikes[incident.person_id].append(incident)
        this_week = {i.id for i in this.incidents}
        rows = [
            RepeatParent(
                name=found[0].person.display_name,
                strikes=len(found),
                this_week=sum(i.id in this_week for i in found),
                latest_step=STEP_LABELS.get(found[-1].step, found[-1].step),
                groups=sorted({self._group_name(i) for i in found}),
            )
            for found in (sorted(v, key=lambda i: i.sent_at) for v in strikes.values())
            if len(found) >= REPEAT_STRIKES
        ]
        return sorted(rows, key=lambda r: (-r.this_week, -r.strikes, r.name))


def build_digest(log: IncidentLog, settings: Settings, week: IsoWeek, now: datetime) -> Digest:
    """One week's digest, with case states as they stand at ``now``."""
    return DigestBuilder(settings, log).build(week, now)


def week_queued(log: IncidentLog, week: IsoWeek) -> bool:
    """Whether the scheduled digest for ``week`` has been queued already."""
    with log.sessions() as session:
        return session.scalar(select(DigestRun.id).where(DigestRun.week == str(week))) is not None


def queue_digest(
    log: IncidentLog, digest: Digest, text: str, now: datetime, *, scheduled: bool
) -> OutboxItem | None:
    """Queue a digest for the ``slt`` channel; ``None`` if its week was claimed already.

    The payload holds the digest's data, from which a channel can render it, and
    ``text``, its plain-text rendering, for channels that send text alone.
    A scheduled digest claims its week in ``digest_runs`` in the same transaction
    as the outbox item: when several workers fire for one week, only the one whose
    claim succeeds queues it. A digest asked for by hand is queued regardless, and
    does not stop the scheduled one.
    """
    item = OutboxItem(
        created_at=now,
        platform="classguard",
        group_id="all groups",
        kind=DIGEST_KIND,
        recipient=None,
        payload={
            "kind": DIGEST_KIND,
            "week": digest.week,
            "text": text,
            "digest": digest.to_payload(),
        },
        batch_key=None,
        status="pending",
        attempts=0,
        next_attempt_at=now,
    )
    try:
        with log.sessions.begin() as session:
            session.add(item)
            session.flush()
            if scheduled:
                session.add(DigestRun(week=digest.week, queued_at=now, outbox_id=item.id))
    except IntegrityError:
        if scheduled and week_queued(log, IsoWeek.parse(digest.week)):
            return None
        raise
    return item
