"""The outbox: delivery, retries, batching, and surviving a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.outbox_worker import DeliveryError, OutboxWorker
from config.schema import Mode
from moderation.pipeline import Pipeline
from storage.models import OutboxItem
from storage.outbox import LEASE, MAX_ATTEMPTS, OutboxQueue
from storage.repository import IncidentLog
from tests.support import KeywordClassifier, message
from tests.test_pipeline import NOW, settings_in


class RecordingChannel:
    """A channel that keeps what it was asked to deliver, or fails on demand."""

    def __init__(self, failures: int = 0, retry_after: timedelta | None = None) -> None:
        self.delivered: list[tuple[int, list[int]]] = []
        self.failures = failures
        self.retry_after = retry_after

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("HTTP 502 from the platform", self.retry_after)
        self.delivered.append((item.id, [b.id for b in batch]))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def worker(log: IncidentLog, channel: RecordingChannel, clock: Clock) -> OutboxWorker:
    return OutboxWorker(OutboxQueue(log), {"export": channel, "slt": channel}, clock)


def test_warning_is_delivered_once_and_the_address_erased(incident_log: IncidentLog) -> None:
    clock = Clock(NOW)
    Pipeline(settings_in(Mode.WARN), KeywordClassifier(), incident_log, clock=clock).process(
        message("idiot", sender="447700900123")
    )
    channel = RecordingChannel()
    stats = asyncio.run(worker(incident_log, channel, clock).run_once())
    assert stats.sent == 1 and len(channel.delivered) == 1
    assert asyncio.run(worker(incident_log, channel, clock).run_once()).sent == 0
    item = incident_log.outbox()[0]
    assert item.status == "sent" and item.recipient is None


def test_failures_retry_with_backoff_then_stay_visible(incident_log: IncidentLog) -> None:
    clock = Clock(NOW)
    Pipeline(settings_in(Mode.WARN), KeywordClassifier(), incident_log, clock=clock).process(
        message("idiot")
    )
    channel = RecordingChannel(failures=MAX_ATTEMPTS, retry_after=timedelta(seconds=90))
    run = worker(incident_log, channel, clock)
    first = asyncio.run(run.run_once())
    assert first.retrying == 1
    item = incident_log.outbox()[0]
    assert item.status == "pending" and item.next_attempt_at >= NOW + timedelta(seconds=90)
    assert asyncio.run(run.run_once()).retrying == 0  # not due yet
    for _ in range(MAX_ATTEMPTS):
        clock.now += timedelta(hours=3)
        asyncio.run(run.run_once())
    item = incident_log.outbox()[0]
    assert item.status == "failed" and item.attempts == MAX_ATTEMPTS
    assert item.last_error == "HTTP 502 from the platform"
    assert item.recipient == "1001"  # kept until delivered, so a retry can still reach them
    assert OutboxQueue(incident_log).retry(item.id, clock.now)
    asyncio.run(run.run_once())
    assert channel.delivered and incident_log.outbox()[0].status == "sent"


def test_low_severity_moderator_alerts_are_batched(incident_log: IncidentLog) -> None:
    clock = Clock(NOW)
    pipe = Pipeline(settings_in(Mode.WARN), KeywordClassifier(), incident_log, clock=clock)
    for n, sender in enumerate(["a", "a", "b", "b", "c", "c"]):
        clock.now = NOW + timedelta(minutes=n)
        pipe.process(message("vote for them", sender=sender, message_id=str(n), when=clock.now))
    alerts = [o for o in incident_log.outbox() if o.kind == "alert_moderators"]
    assert len(alerts) == 3 and len({a.batch_key for a in alerts}) == 1
    first_due = NOW + timedelta(minutes=1)
    assert [a.next_attempt_at for a in alerts] == [
        first_due,
        first_due + timedelta(minutes=60),
        first_due + timedelta(minutes=60),
    ]
    channel = RecordingChannel()
    clock.now = NOW + timedelta(minutes=30)
    asyncio.run(worker(incident_log, channel, clock).run_once())
    moderator_sends = [d for d in channel.delivered if d[0] in {a.id for a in alerts}]
    assert moderator_sends == [(alerts[0].id, [])]
    clock.now = NOW + timedelta(hours=2)
    asyncio.run(worker(incident_log, channel, clock).run_once())
    moderator_sends = [d for d in channel.delivered if d[0] in {a.id for a in alerts}]
    assert moderator_sends[1] == (alerts[1].id, [alerts[2].id])


CRASHING_WORKER = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime, UTC
    from storage.db import make_engine
    from storage.outbox import OutboxQueue
    from storage.repository import IncidentLog
    queue = OutboxQueue(IncidentLog(make_engine(sys.argv[1])))
    claimed = queue.claim_due(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    print(len(claimed), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # dies after claiming, before sending
    """
)


def test_kill_minus_nine_mid_send_loses_nothing_and_sends_once(
    incident_log: IncidentLog, engine: Engine
) -> None:
    clock = Clock(NOW)
    Pipeline(settings_in(Mode.WARN), KeywordClassifier(), incident_log, clock=clock).process(
        message("idiot")
    )
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_WORKER, url], capture_output=True, text=True, env=env
    )
    assert proc.returncode == -signal.SIGKILL and proc.stdout.strip() == "1"
    assert incident_log.outbox()[0].status == "sending"
    channel = RecordingChannel()
    run = worker(incident_log, channel, clock)
    assert asyncio.run(run.run_once()).sent == 0  # the dead worker's lease still holds
    clock.now += LEASE + timedelta(seconds=1)
    assert asyncio.run(run.run_once()).sent == 1
    clock.now += LEASE * 3
    assert asyncio.run(run.run_once()).sent == 0
    assert len(channel.delivered) == 1


def test_two_workers_never_send_the_same_item(incident_log: IncidentLog) -> None:
    clock = Clock(NOW)
    pipe = Pipeline(settings_in(Mode.WARN), KeywordClassifier(), incident_log, clock=clock)
    for n in range(12):
        pipe.process(message("idiot", sender=f"p{n}", message_id=str(n)))
    channel = RecordingChannel()

    async def both() -> None:
        await asyncio.gather(
            worker(incident_log, channel, clock).run_once(),
            worker(incident_log, channel, clock).run_once(),
        )

    asyncio.run(both())
    ids = [i for i, _ in channel.delivered]
    assert len(ids) == len(set(ids)) == 12
