"""Delivers outbox items to Telegram: warnings, deletions, moderator and SLT alerts.

A warning to a parent who never started the bot (Telegram answers 403) becomes
a neutral notice in the group with a deep link; once the notice is posted the
item counts as delivered and the warning waits in ``pending_warnings``. Any
other failure raises :class:`DeliveryError` so the outbox retries it, honouring
Telegram's ``retry_after``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.outbox_worker import DeliveryError
from bot.telegram import texts
from bot.telegram.context import BotContext
from bot.telegram.gateway import cannot_reach, delivery_error
from bot.telegram.keyboards import case_buttons, link_button, start_link
from bot.telegram.pending import DELETE_NOTICE
from bot.telegram.reports import incident_for
from storage.models import Incident, OutboxItem

log = logging.getLogger(__name__)

Deliver = Callable[[OutboxItem, Sequence[OutboxItem]], Awaitable[None]]


class TelegramChannel:
    """The outbox channel for Telegram groups and, when configured, the SLT's chat."""

    def __init__(
        self,
        ctx: BotContext,
        *,
        bot_username: str,
        notice_minutes: int = 5,
        pending_days: int = 30,
        slt_chats: Sequence[str] = (),
        digest_chat: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.bot_username = bot_username
        self.notice_for = timedelta(minutes=notice_minutes)
        self.pending_for = timedelta(days=pending_days)
        self.slt_chats = list(slt_chats)
        self.digest_chat = digest_chat
        self.handlers: dict[str, Deliver] = {
            "warn_privately": self._warn,
            "delete_message": self._delete,
            DELETE_NOTICE: self._delete_notice,
            "alert_moderators": self._alert,
            "recommend_removal": self._alert,
            "escalate_to_slt": self._slt,
            "digest": self._slt,
        }

    async def deliver(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        """Deliver one item (with the items batched into the same message)."""
        handler = self.handlers.get(item.kind)
        if handler is None:
            raise DeliveryError(f"the Telegram channel cannot deliver {item.kind!r} items")
        try:
            await handler(item, batch)
        except TelegramError as exc:
            raise delivery_error(exc) from exc

    # -- parents ------------------------------------------------------------
    async def _warn(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        if not item.recipient:
            raise DeliveryError("the warning has no recipient")
        text = str(item.payload["text"])
        try:
            await self.ctx.gateway.send_text(int(item.recipient), text)
        except (Forbidden, BadRequest) as exc:
            if not cannot_reach(exc):
                raise
            log.info("outbox item %s: parent has not started the bot; posting a notice", item.id)
            await self._notice(item, item.recipient)

    async def _notice(self, item: OutboxItem, recipient: str) -> None:
        """Post the neutral notice with a deep link (once, even across retries)."""
        ctx = self.ctx
        pending = ctx.pending.for_outbox(item.id)
        if pending is None:
            pending = ctx.pending.create(
                item, ctx.pseudonym(recipient), ctx.now(), self.pending_for
            )
        if pending.notice_ref is not None:
            return
        incident = self._incident(item)
        name = incident.person.display_name if incident else "Hello"
        text = texts.notice(name, int(recipient), ctx.settings.school.name)
        button = link_button(texts.NOTICE_BUTTON, start_link(self.bot_username, pending.token))
        notice_id = await ctx.gateway.send_text(item.group_id, text, keyboard=button, html=True)
        now = ctx.now()
        ctx.pending.noticed(pending, str(notice_id), now, now + self.notice_for)

    # -- the group ----------------------------------------------------------
    async def _delete(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        try:
            await self.ctx.gateway.delete(item.group_id, int(item.payload["message_ref"]))
        except (BadRequest, Forbidden) as exc:
            if "not found" in exc.message.lower():
                return  # someone removed it already
            group = self.ctx.directory.group(item.group_id)
            name = group.name if group else item.group_id
            case = self._incident(item)
            note = texts.could_not_delete(name, case.id if case else None, exc.message)
            await self._to_moderators(item.group_id, note, None)

    async def _delete_notice(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        try:
            await self.ctx.gateway.delete(item.group_id, int(item.payload["message_ref"]))
        except (BadRequest, Forbidden) as exc:
            log.info("a warning notice could not be removed: %s", exc.message)

    # -- moderators -----------------------------------------------------------
    async def _alert(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        items = [item, *batch]
        text = "\n\n".join(str(i.payload["text"]) for i in items)
        async with self.ctx.judging:  # a message being judged now may still add its id
            cases = {i.id: self._incident(i) for i in items}
            addresses = {case.id: self.ctx.refs.address(case.id) for case in cases.values() if case}
        keyboard = case_buttons(
            [(case, int(a) if (a := addresses[case]) else None) for case in sorted(addresses)],
            numbered=len(addresses) > 1,
        )
        await self._to_moderators(item.group_id, text, keyboard)
        for each in items:
            case = cases[each.id]
            if case is not None:
                self.ctx.refs.release(
                    case.id, each.group_id, case.message_ref, [i.id for i in items]
                )

    def _incident(self, item: OutboxItem) -> Incident | None:
        """The case an item is about (found by its message when the item does not say)."""
        case_id = item.incident_id
        if case_id is None and item.payload.get("message_ref"):
            found = incident_for(self.ctx.log, item.group_id, str(item.payload["message_ref"]))
            case_id = found.id if found else None
        return self.ctx.log.incident(case_id) if case_id is not None else None

    async def _to_moderators(
        self, group_id: str, text: str, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        group = self.ctx.directory.group(group_id)
        chats = self.ctx.directory.alert_chats(group) if group else []
        if not chats:
            raise DeliveryError(f"no Telegram moderators are configured for group {group_id}")
        await self._to_each(chats, text, keyboard)

    async def _to_each(
        self, chats: Sequence[str], text: str, keyboard: InlineKeyboardMarkup | None
    ) -> list[str]:
        """Send to every chat; fails only if nobody could be reached."""
        reached: list[str] = []
        last: TelegramError | None = None
        for chat in chats:
            try:
                await self.ctx.gateway.send_text(chat, text, keyboard=keyboard)
                reached.append(chat)
            except RetryAfter:
                raise
            except TelegramError as exc:
                log.warning("could not reach a moderator or SLT chat: %s", exc.message)
                last = exc
        if not reached and last is not None:
            raise last
        return reached

    # -- senior leadership ------------------------------------------------------
    async def _slt(self, item: OutboxItem, batch: Sequence[OutboxItem]) -> None:
        chats = self.slt_chats
        if item.kind == "digest" and self.digest_chat:
            chats = [self.digest_chat]
        if not chats:
            raise DeliveryError("no Telegram chat is configured for senior leadership")
        texts_ = [str(i.payload.get("text") or "") for i in (item, *batch)]
        text = "\n\n".join(t for t in texts_ if t)
        if not text:
            raise DeliveryError(f"the {item.kind} item has no text to send")
        reached = await self._to_each(chats, text, None)
        letter = item.payload.get("letter")
        if letter:
            name = f"case-{item.incident_id}-draft-letter.txt"
            for chat in reached:
                await self.ctx.gateway.send_document(
                    chat, name, str(letter).encode(), "Draft for review: not sent to the parent"
                )
