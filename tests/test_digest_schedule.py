"""The weekly digest's schedule: London wall-clock time across the clock changes,
a job store that survives restarts, and one digest a week however many workers fire."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from freezegun import freeze_time
from sqlalchemy import Engine, column, func, select, table

from bot.scheduler import JOB_ID, DigestJob, digest_trigger, start_digest_scheduler
from config.schema import Settings
from moderation.digest import IsoWeek
from storage.db import make_engine
from storage.models import DigestRun, OutboxItem
from storage.repository import IncidentLog
from tests.test_digest import FRIDAY_4PM, LONDON, SETTINGS, WEEK, seed


def fire_times(start: datetime, count: int) -> list[datetime]:
    trigger = digest_trigger(SETTINGS.digest)
    times: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        nxt = trigger.get_next_fire_time(previous, now)
        assert nxt is not None
        times.append(nxt)
        previous, now = nxt, nxt + timedelta(seconds=1)
    return times


def test_digest_fires_at_four_in_london_when_the_clocks_go_back() -> None:
    # British Summer Time ends at 02:00 on Sunday 25 October 2026.
    times = fire_times(datetime(2026, 10, 19, 12, 0, tzinfo=UTC), 2)
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2026, 10, 23, 15, 0, tzinfo=UTC),  # 16:00 BST
        datetime(2026, 10, 30, 16, 0, tzinfo=UTC),  # 16:00 GMT
    ]
    assert all((t.astimezone(LONDON).hour, t.weekday()) == (16, 4) for t in times)


def test_digest_fires_at_four_in_london_when_the_clocks_go_forward() -> None:
    # British Summer Time starts at 01:00 on Sunday 28 March 2027.
    times = fire_times(datetime(2027, 3, 22, 12, 0, tzinfo=UTC), 2)
    assert [t.astimezone(UTC) for t in times] == [
        datetime(2027, 3, 26, 16, 0, tzinfo=UTC),  # 16:00 GMT
        datetime(2027, 4, 2, 15, 0, tzinfo=UTC),  # 16:00 BST
    ]
    assert all((t.astimezone(LONDON).hour, t.weekday()) == (16, 4) for t in times)


def test_a_firing_covers_its_own_week_on_either_side_of_the_change(
    incident_log: IncidentLog,
) -> None:
    job = DigestJob(SETTINGS, incident_log)
    for moment, week in (
        ("2026-10-23 15:00:00", IsoWeek(2026, 43)),  # 16:00 BST
        ("2026-10-30 16:00:00", IsoWeek(2026, 44)),  # 16:00 GMT
        ("2027-03-26 16:00:00", IsoWeek(2027, 12)),
        ("2027-04-02 15:00:00", IsoWeek(2027, 13)),
    ):
        with freeze_time(moment):
            item = job.fire()
        assert item is not None and item.payload["week"] == str(week)
    assert len(incident_log.outbox()) == 4


def test_workers_firing_together_queue_one_digest(db_url: str, engine: Engine) -> None:
    seed(IncidentLog(engine))
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[OutboxItem | None] = []
    errors: list[BaseException] = []

    def worker() -> None:
        own = make_engine(db_url)  # each worker has its own connections
        try:
            job = DigestJob(SETTINGS, IncidentLog(own), clock=lambda: FRIDAY_4PM)
            barrier.wait(timeout=10)
            results.append(job.fire())
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    queued = [r for r in results if r is not None]
    assert len(results) == workers and len(queued) == 1
    log = IncidentLog(engine)
    digests = [i for i in log.outbox() if i.kind == "digest"]
    assert [(d.id, d.payload["week"]) for d in digests] == [(queued[0].id, str(WEEK))]
    with log.sessions() as session:
        runs = session.scalars(select(DigestRun)).all()
        assert [(r.week, r.outbox_id) for r in runs] == [(str(WEEK), queued[0].id)]


def _stored_jobs(engine: Engine) -> int:
    """Stored digest jobs (the nightly retention purge has a row of its own)."""
    jobs = table("apscheduler_jobs", column("id"))
    query = select(func.count()).select_from(jobs).where(jobs.c.id == JOB_ID)
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def _wait_for_digest(log: IncidentLog) -> list[OutboxItem]:
    for _ in range(200):
        found = [i for i in log.outbox() if i.kind == "digest"]
        if found:
            return found
        time.sleep(0.02)
    return []


def test_the_schedule_lives_in_the_database_and_catches_up_after_downtime(
    engine: Engine,
) -> None:
    log = IncidentLog(engine)
    first = start_digest_scheduler(SETTINGS, engine, clock=lambda: FRIDAY_4PM)
    job = first.get_job(JOB_ID)
    expected = digest_trigger(SETTINGS.digest).get_next_fire_time(None, datetime.now(UTC))
    assert job is not None and job.next_run_time == expected
    first.shutdown()
    # ClassGuard was stopped over the Friday afternoon the digest was due.
    store = SQLAlchemyJobStore(engine=engine)
    store.start(BackgroundScheduler(), "default")
    stored = store.lookup_job(JOB_ID)
    stored._modify(next_run_time=datetime.now(UTC) - timedelta(hours=2))
    store.update_job(stored)
    assert _stored_jobs(engine) == 1 and log.outbox() == []

    second = start_digest_scheduler(SETTINGS, engine, clock=lambda: FRIDAY_4PM)
    try:
        (digest,) = _wait_for_digest(log)
        assert digest.payload["week"] == str(WEEK)
    finally:
        second.shutdown()
    assert _stored_jobs(engine) == 1

    earlier = SETTINGS.digest.model_copy(update={"day_of_week": "thu", "hour": 9})
    moved = start_digest_scheduler(
        Settings.model_validate({**SETTINGS.model_dump(), "digest": earlier.model_dump()}),
        engine,
    )
    try:
        job = moved.get_job(JOB_ID)
        assert job is not None and job.next_run_time is not None
        local = job.next_run_time.astimezone(LONDON)
        assert (local.weekday(), local.hour, local.minute) == (3, 9, 0)
    finally:
        moved.shutdown()
    assert _stored_jobs(engine) == 1 and len(_wait_for_digest(log)) == 1
