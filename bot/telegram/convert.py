"""Telegram messages as the pipeline's platform-neutral :class:`Message`."""

from __future__ import annotations

import telegram

from moderation.message import MediaKind, Message, Platform

#: Telegram's own senders that stand in for someone else: posts from a linked
#: channel (777000) and anonymous group admins (GroupAnonymousBot, 1087968824).
NOT_PARENTS = frozenset({777000, 1087968824})


def from_parent(message: telegram.Message) -> bool:
    """Whether a group message was written by a person ClassGuard may warn.

    Linked-channel posts, messages sent on behalf of a chat (anonymous admins,
    channels), automatic forwards and other bots are not parents.
    """
    user = message.from_user
    if user is None or user.is_bot or user.id in NOT_PARENTS:
        return False
    return message.sender_chat is None and not message.is_automatic_forward


def media_of(message: telegram.Message) -> MediaKind | None:
    """What non-text content the message carries."""
    if message.photo:
        return MediaKind.PHOTO
    if message.video or message.animation or message.video_note:
        return MediaKind.VIDEO
    if message.document:
        return MediaKind.DOCUMENT
    if message.audio or message.voice:
        return MediaKind.AUDIO
    if message.sticker:
        return MediaKind.STICKER
    if message.effective_attachment is not None:
        return MediaKind.OTHER
    return None


def revision_of(message: telegram.Message) -> int:
    """0 for an original message; an edit's timestamp, so each edit is judged once."""
    return int(message.edit_date.timestamp()) if message.edit_date else 0


def to_message(message: telegram.Message, image: bytes | None = None) -> Message:
    """The pipeline's view of a Telegram group message (text or a media caption)."""
    user = message.from_user
    if user is None:
        raise ValueError("a message without a sender cannot be judged")
    return Message(
        platform=Platform.TELEGRAM,
        group_id=str(message.chat.id),
        message_id=str(message.message_id),
        sender_id=str(user.id),
        sender_name=user.full_name,
        text=message.text or message.caption or "",
        sent_at=message.edit_date or message.date,
        media=media_of(message),
        reply_to=str(message.reply_to_message.message_id) if message.reply_to_message else None,
        revision=revision_of(message),
        image=image,
    )
