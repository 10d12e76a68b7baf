"""The weekly SLT digest on a schedule that survives restarts and several workers.

APScheduler 3 keeps the job in the ``apscheduler_jobs`` table of ClassGuard's own
database, so a digest missed while the machine was off goes out when it starts
again (within :data:`MISFIRE_GRACE`). Every worker sharing the database runs the
schedule; when they fire together, the unique week in ``digest_runs`` lets only
one of them queue the digest (:func:`moderation.digest.queue_digest`). The outbox
worker then delivers it like any other notification.
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

log = logging.getLogger(__name__)

JOB_ID = "classguard-weekly-digest"
#: How late a missed digest may still go out (the machine was off on Friday).
MISFIRE_GRACE = timedelta(days=3)


def digest_trigger(config: DigestConfig) -> CronTrigger:
    """The school's digest time as a cron trigger, in wall-clock time of its timezone."""
    return CronTrigger(
        day_of_week=config.day_of_week,
        hour=config.hour,
        minute=config.minute,
        timezone=ZoneInfo(config.timezone),
    )


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


def start_digest_scheduler(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] | None = None,
) -> BackgroundScheduler:
    """Start the weekly digest's scheduler in a background thread; ``shutdown()`` it on exit.

    The job is kept in the database. If the school changed the digest's day or
    time, the stored job is moved to the new time; otherwise it is left as it is,
    so a run missed while ClassGuard was stopped still happens now.
    """
    global _job
    _job = DigestJob(settings, IncidentLog(engine), clock)
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
    trigger = digest_trigger(settings.digest)
    job = scheduler.get_job(JOB_ID)
    if job is None:
        with contextlib.suppress(ConflictingIdError):  # another worker added it just now
            scheduler.add_job(run_digest_job, trigger, id=JOB_ID, name="weekly SLT digest")
    elif repr(job.trigger) != repr(trigger):
        scheduler.reschedule_job(JOB_ID, trigger=trigger)
    scheduler.resume()
    return scheduler
