"""The outbox channels that reach school staff: ``slt`` and ``office``.

Senior leaders can be reached by email, by a Telegram chat, or both; when both
are configured, each SLT item (an escalation, the weekly digest) goes to both
through a :class:`CompositeChannel`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.email import EmailChannel
from bot.outbox_worker import Channel, DeliveryError
from storage.models import OutboxItem


class CompositeChannel:
    """Delivers each item through every one of several channels.

    An item is delivered once every channel has taken it. When some fail, the
    item goes back to the outbox for a retry, and the channels that delivered
    it already are skipped on the retry. That memory lasts as long as the
    process: after a restart, a retry may repeat a delivery that had succeeded.
    """

    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self.channels = dict(channels)
        self._done: dict[int, set[str]] = {}

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        """Deliver through each channel not yet done; one error naming every failure."""
        done = self._done.setdefault(item.id, set())
        failures: list[tuple[str, DeliveryError]] = []
        for name, channel in self.channels.items():
            if name in done:
                continue
            try:
                await channel.deliver(item, batch)
            except DeliveryError as exc:
                failures.append((name, exc))
            else:
                done.add(name)
        if failures:
            waits = [exc.retry_after for _, exc in failures if exc.retry_after is not None]
            message = "; ".join(f"{name}: {exc}" for name, exc in failures)
            raise DeliveryError(message, max(waits, default=None))
        del self._done[item.id]


def staff_channels(
    *, email: EmailChannel | None = None, telegram_slt: Channel | None = None
) -> dict[str, Channel]:
    """The ``slt`` and ``office`` channels from what is configured (either may be absent).

    Email joins the ``slt`` route when the config names anyone to email (SLT
    members or ``digest.email_to``), and is the ``office`` route when the config
    has an office email.
    """
    slt: dict[str, Channel] = {}
    if email is not None and (email.recipients("escalate_to_slt") or email.recipients("digest")):
        slt["email"] = email
    if telegram_slt is not None:
        slt["telegram"] = telegram_slt
    channels: dict[str, Channel] = {}
    if len(slt) == 1:
        channels["slt"] = next(iter(slt.values()))
    elif slt:
        channels["slt"] = CompositeChannel(slt)
    if email is not None and email.recipients("alert_office"):
        channels["office"] = email
    return channels
