"""The Telegram adapter: ClassGuard in real class groups.

Running it::

    export TELEGRAM_BOT_TOKEN=123456:ABC...          # from @BotFather
    classguard run --config school.yaml              # long polling
    classguard run --config school.yaml --dry-run    # judge and record, send nothing

``TELEGRAM_API_BASE_URL`` points the bot at a self-hosted Bot API server (its
root, e.g. ``http://localhost:8081``). Setting ``telegram.webhook_url`` in the
config switches to webhook mode: ClassGuard listens on
``telegram.webhook_listen``/``webhook_port`` behind the HTTPS proxy serving that
URL and refuses any request without Telegram's secret token
(``TELEGRAM_WEBHOOK_SECRET``, or one generated at each start).

In a group, ClassGuard must see every message: make it an administrator with
the "Delete messages" and "Ban users" rights (needed in ``enforce`` mode and
for "Remove from group"), or turn its privacy mode off in @BotFather. A group
the config does not list is only observed until an admin sends ``/setup``.

How it fits together: :mod:`~bot.telegram.watch` turns each group message into
a :class:`~moderation.message.Message` for the pipeline, which records the
incident and queues its actions in the outbox;
:class:`~bot.telegram.channel.TelegramChannel` delivers them. Updates are
confirmed to Telegram only once handled (:mod:`~bot.telegram.updates`), and the
pipeline recognises a message it has judged, so a restart loses and repeats
nothing. :class:`~bot.telegram.service.TelegramService` is the whole adapter
as one service of ``classguard run``.

Parents' Telegram ids are not kept: the incident log knows them by pseudonym.
Two exceptions are short-lived and documented where they live: the id a
pending outbox warning is addressed to (erased once sent), and the id a
moderators' alert needs for its "Remove from group" button
(:mod:`~bot.telegram.refs`; the button's callback data carries it afterwards,
and it goes to moderators only).
"""
