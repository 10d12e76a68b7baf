"""Delivers queued notifications through channels, with retries and back-off.

Routing: warnings, deletions, moderator alerts and removal recommendations go
to the platform the message came from; SLT escalations and digests to the
``slt`` channel; security alerts to the ``office`` channel. A channel that
raises :class:`DeliveryError` gets the item back with back-off (or after the
platform's ``retry_after``); after the last attempt it stays ``failed`` and
visible in ``classguard outbox``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from storage.models import OutboxItem
from storage.outbox import OutboxQueue

log = logging.getLogger(__name__)

SLT_KINDS = frozenset({"escalate_to_slt", "digest"})


class DeliveryError(Exception):
    """A send that failed; ``retry_after`` is the platform's own wait, when it gave one."""

    def __init__(self, message: str, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Channel(Protocol):
    """Somewhere notifications can be delivered."""

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        """Deliver ``item`` (with ``batch``: other items due to go out in the same message)."""
        ...


def route(item: OutboxItem) -> str:
    """The channel name an item goes through."""
    if item.kind in SLT_KINDS:
        return "slt"
    if item.kind == "alert_office":
        return "office"
    return item.platform


@dataclass
class DeliveryStats:
    """What one pass of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


class OutboxWorker:
    """Sends due notifications; safe to run in several processes at once."""

    def __init__(
        self,
        queue: OutboxQueue,
        channels: Mapping[str, Channel],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.queue = queue
        self.channels = dict(channels)
        self.clock = clock or (lambda: datetime.now(UTC))

    async def run_once(self) -> DeliveryStats:
        """Deliver everything that is due now."""
        stats = DeliveryStats()
        now = self.clock()
        self.queue.release_stale(now)
        groups: dict[str | int, list[OutboxItem]] = {}
        for item in self.queue.claim_due(now):
            groups.setdefault(item.batch_key or item.id, []).append(item)
        for first, *batch in groups.values():
            await self._deliver(first, batch, stats)
        return stats

    async def _deliver(
        self, item: OutboxItem, batch: Sequence[OutboxItem], stats: DeliveryStats
    ) -> None:
        channel = self.channels.get(route(item))
        try:
            if channel is None:
                raise DeliveryError(f"no {route(item)} channel is configured")
            await channel.deliver(item, batch)
        except DeliveryError as exc:
            log.warning("outbox item %s not delivered: %s", item.id, exc)
            for each in (item, *batch):
                status = self.queue.mark_failed(each, str(exc), self.clock(), exc.retry_after)
                if status == "failed":
                    stats.failed += 1
                else:
                    stats.retrying += 1
            return
        self.queue.mark_sent([item, *batch], self.clock())
        stats.sent += 1 + len(batch)

    async def run_forever(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Poll the queue until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("outbox pass failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
