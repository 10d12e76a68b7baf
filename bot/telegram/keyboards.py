"""Inline buttons: the moderators' case buttons and the parent's "open my message" link.

A case button's callback data is ``cg:<action>:<case>``; the Remove button adds
the parent's Telegram id (``cg:rm:<case>:<user id>``), because the incident log
keeps only a pseudonym. The alert carrying it goes to moderators only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup


class CaseAction(StrEnum):
    """What a moderator's button does."""

    CONFIRM = "ok"
    FALSE_POSITIVE = "fp"
    REMOVE = "rm"


LABELS = {
    CaseAction.CONFIRM: "Confirm",
    CaseAction.FALSE_POSITIVE: "False positive",
    CaseAction.REMOVE: "Remove from group",
}

PATTERN = re.compile(r"^cg:(ok|fp|rm):(\d{1,12})(?::(\d{1,20}))?$")


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A decoded case button."""

    action: CaseAction
    case: int
    user_id: int | None = None


def encode(action: CaseAction, case: int, user_id: int | None = None) -> str:
    """A button's callback data (at most 64 bytes, as Telegram requires)."""
    data = f"cg:{action.value}:{case}"
    return f"{data}:{user_id}" if user_id is not None else data


def decode(data: str | None) -> ButtonPress | None:
    """The press a callback's data describes, or ``None`` if it is not ours."""
    found = PATTERN.match(data or "")
    if found is None:
        return None
    action, case, user = found.groups()
    return ButtonPress(CaseAction(action), int(case), int(user) if user else None)


def case_buttons(
    cases: Sequence[tuple[int, int | None]], *, numbered: bool = False
) -> InlineKeyboardMarkup | None:
    """One row per case (case number, parent's id if known); ``None`` when there are none."""
    rows = []
    for case, user_id in cases:
        suffix = f" #{case}" if numbered else ""
        row = [
            InlineKeyboardButton(LABELS[a] + suffix, callback_data=encode(a, case))
            for a in (CaseAction.CONFIRM, CaseAction.FALSE_POSITIVE)
        ]
        if user_id is not None:
            row.append(
                InlineKeyboardButton(
                    LABELS[CaseAction.REMOVE] + suffix,
                    callback_data=encode(CaseAction.REMOVE, case, user_id),
                )
            )
        rows.append(row)
    return InlineKeyboardMarkup(rows) if rows else None


def start_link(bot_username: str, payload: str) -> str:
    """A deep link that opens a private chat with the bot and sends ``/start payload``."""
    return f"https://t.me/{bot_username}?start={payload}"


def link_button(label: str, url: str) -> InlineKeyboardMarkup:
    """A single URL button."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
