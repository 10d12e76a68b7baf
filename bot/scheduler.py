"""The weekly SLT digest and the daily retention purge, on a schedule that survives
restarts and several workers.

APScheduler 3 keeps the job in the ``apscheduler_jobs`` table of ClassGuard's own
database, so a digest missed while the machine was off goes out when it starts
again (within :data:`MISFIRE_GRACE`). Every worker sharing the database runs the
schedule; when they fire together, the unique week in ``digest_runs`` lets only
one of them queue the digest (:func:`moderation.digest.queue_digest`). The outbox
worker then delivers it like any other notification.

The same scheduler deletes records past the school's retention period every
night (:func:`storage.retention.purge_expired`); a purge missed while ClassGuard
was stopped runs when it starts again. Workers purging together is harmless:
whichever comes second finds nothing left to delete.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from bot.digest_render import render_text
from config.schema import Digest as DigestConfig
from config.schema import Settings
from moderation.digest import build_digest, due_week, queue_digest, week_queued
from storage.models import OutboxItem
from storage.repository import IncidentLog
from storage.retention import PurgeCounts, purge_expired

log = logging.getLogger(__name__)

JOB_ID = "classguard-weekly-digest"
PURGE_JOB_ID = "classguard-retention-purge"
#: How late a missed digest may still go out (the machine was off on Friday).
MISFIRE_GRACE = timedelta(days=3)
#: The nightly purge's wall-clock time in the school's timezone: 03:30, when groups are quiet.
PURGE_HOUR, PURGE_MINUTE = 3, 30


def digest_trigger(config: DigestConfig) -> CronTrigger:
    """The school's digest time as a cron trigger, in wall-clock time of its timezone."""
    return CronTrigger(
        day_of_week=config.day_of_week,
        hour=config.hour,
        minute=config.minute,
        timezone=ZoneInfo(config.timezone),
    )


def purge_trigger(config: DigestConfig) -> CronTrigger:
    """Every night at 03:30 in the school's timezone (the digest's)."""
    return CronTrigger(hour=PURGE_HOUR, minute=PURGE_MINUTE, timezone=ZoneInfo(config.timezone))


class DigestJob:
    """What the schedule does when it fires: queue the due week's digest, once."""

    def __init__(
        self,
        settings: Settings,
        log: IncidentLog,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.log = log
        self.clock = clock or (lambda: datetime.now(UTC))

    def fire(self) -> OutboxItem | None:
        """Queue the digest of the week last due; ``None`` if a worker queued it already."""
        now = self.clock()
        week = due_week(self.settings.digest, now)
        if week_queued(self.log, week):
            log.info("weekly digest for %s was queued already", week)
            return None
        digest = build_digest(self.log, self.settings, week, now)
        item = queue_digest(self.log, digest, render_text(digest), now, scheduled=True)
        if item is None:
            log.info("weekly digest for %s was queued by another worker", week)
        else:
            log.info("weekly digest for %s queued as outbox item %s", week, item.id)
        return item


#: This process's digest job; the stored schedule refers to :func:`run_digest_job`,
#: which a persistent job store can name, and that calls it.
_job: DigestJob | None = None


def run_digest_job() -> None:
    """The scheduled job's entry point."""
    if _job is None:
        log.warning("the weekly digest fired before start_digest_scheduler set it up")
        return
    _job.fire()


class PurgeJob:
    """What the nightly schedule does: delete records past the retention period."""

    def __init__(
        self,
        settings: Settings,
        log: IncidentLog,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.log = log
        self.clock = clock or (lambda: datetime.now(UTC))

    def fire(self) -> PurgeCounts:
        """Purge now; returns how many rows each table lost."""
        retention = timedelta(days=self.settings.school.retention_days)
        counts = purge_expired(self.log, self.clock(), retention)
        log.info("retention purge deleted %s", counts.by_table())
        return counts


_purge_job: PurgeJob | None = None


def run_purge_job() -> None:
    """The nightly purge's entry point."""
    if _purge_job is None:
        log.warning("the retention purge fired before start_digest_scheduler set it up")
        return
    _purge_job.fire()


def _schedule(
    scheduler: BackgroundScheduler,
    func: Callable[[], None],
    trigger: CronTrigger,
    job_id: str,
    name: str,
) -> None:
    """Add a stored job once, or move it if its time changed."""
    job = scheduler.get_job(job_id)
    if job is None:
        with contextlib.suppress(ConflictingIdError):  # another worker added it just now
            scheduler.add_job(func, trigger, id=job_id, name=name)
    elif repr(job.trigger) != repr(trigger):
        scheduler.reschedule_job(job_id, trigger=trigger)


def start_digest_scheduler(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] | None = None,
) -> BackgroundScheduler:
    """Start the scheduler of the weekly digest and the nightly retention purge in a
    background thread; ``shutdown()`` it on exit.

    The jobs are kept in the database. If the school changed the digest's day or
    time, the stored job is moved to the new time; otherwise it is left as it is,
    so a run missed while ClassGuard was stopped still happens now.
    """
    global _job, _purge_job
    incident_log = IncidentLog(engine)
    _job = DigestJob(settings, incident_log, clock)
    _purge_job = PurgeJob(settings, incident_log, clock)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        },
        timezone=ZoneInfo(settings.digest.timezone),
    )
    scheduler.start(paused=True)
    _schedule(
        scheduler, run_digest_job, digest_trigger(settings.digest), JOB_ID, "weekly SLT digest"
    )
    _schedule(
        scheduler,
        run_purge_job,
        purge_trigger(settings.digest),
        PURGE_JOB_ID,
        "nightly retention purge",
    )
    scheduler.resume()
    return scheduler
