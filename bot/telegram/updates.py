"""Receiving updates so that none is lost: confirmed to Telegram only once handled.

python-telegram-bot's own updater confirms an update as soon as it has fetched
it, so a crash before the update is handled would lose it. Here the next
``getUpdates`` offset (or a webhook's 200) is given only after the application
has handled the update; a redelivered update is harmless because the pipeline
recognises a message it has judged (message id + revision).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

from bot.telegram.gateway import retry_delay

log = logging.getLogger(__name__)

#: The updates ClassGuard asks Telegram for.
ALLOWED_UPDATES: Sequence[str] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)
#: Attempts at an update whose handling fails (say, the database is down) before it is skipped.
ATTEMPTS = 4
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class UpdateHandling:
    """Runs one update through the application and says whether it is done with."""

    def __init__(self, app: AnyApplication) -> None:
        self.app = app
        self.failed: set[int] = set()
        self.tries: dict[int, int] = {}
        app.add_error_handler(self._on_error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.debug("handling an update failed", exc_info=error)
        if isinstance(update, Update) and not isinstance(error, TelegramError):
            # Replies that Telegram refused are not worth handling the update again;
            # anything else (a database outage, say) is.
            log.error("handling update %s failed: %s", update.update_id, type(error).__name__)
            self.failed.add(update.update_id)

    async def handle(self, update: Update) -> bool:
        """Handle an update once; ``False`` when it failed and should be tried again."""
        self.failed.discard(update.update_id)
        await self.app.process_update(update)
        if update.update_id not in self.failed:
            self.tries.pop(update.update_id, None)
            return True
        tries = self.tries.get(update.update_id, 0) + 1
        self.tries[update.update_id] = tries
        if tries >= ATTEMPTS:
            log.error(
                "update %s still fails after %d attempts; skipping it", update.update_id, tries
            )
            self.tries.pop(update.update_id, None)
            return True
        return False


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class Poller:
    """Long polling with at-least-once handling."""

    def __init__(self, handling: UpdateHandling, timeout: float = 30.0) -> None:
        self.handling = handling
        self.bot = handling.app.bot
        self.timeout = timeout

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and handle updates until ``stop`` is set."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        failures = 0
        while not stop.is_set():
            try:
                updates = await self._fetch(offset, stop)
            except (InvalidToken, Conflict):
                raise
            except RetryAfter as exc:
                await pause(stop, retry_delay(exc).total_seconds())
                continue
            except TelegramError as exc:
                failures += 1
                log.warning("fetching updates failed (%s); retrying", exc.message)
                await pause(stop, min(2.0**failures, LONGEST_PAUSE))
                continue
            failures = 0
            for update in updates:
                if stop.is_set() or not await self._handle(update, stop):
                    break
                offset = update.update_id + 1
        if offset is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=offset, timeout=timedelta(0), limit=1)

    async def _fetch(self, offset: int | None, stop: asyncio.Event) -> tuple[Update, ...]:
        """One long poll, abandoned (unconfirmed, so served again) when ``stop`` is set."""
        fetch = asyncio.ensure_future(
            self.bot.get_updates(
                offset=offset,
                timeout=timedelta(seconds=self.timeout),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return ()
        updates: tuple[Update, ...] = fetch.result()
        return updates

    async def _handle(self, update: Update, stop: asyncio.Event) -> bool:
        """Handle an update, retrying with back-off; ``False`` if stopped before it was done."""
        attempt = 0
        while not await self.handling.handle(update):
            await pause(stop, min(FIRST_PAUSE * 2.0**attempt, LONGEST_PAUSE))
            attempt += 1
            if stop.is_set():
                return False
        return True
