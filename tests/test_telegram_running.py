"""Running the Telegram adapter: restarts, webhooks, dry runs and bad settings."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Sequence
from datetime import timedelta

import httpx
import pytest
from telegram.error import TelegramError

from bot.commands.run import serve
from bot.services import SetupError
from bot.telegram.env import TelegramEnv, TelegramEnvError
from bot.telegram.service import TelegramService, build_application
from classifiers.judgement import Judgement, Roster
from config.schema import Mode
from storage.repository import IncidentLog
from tests.fake_telegram import TOKEN, FakeTelegram, user
from tests.support import KeywordClassifier
from tests.telegram_harness import (
    GROUP,
    GROUP_ID,
    OTHER,
    PARENT,
    Running,
    env_for,
    say,
    school,
)


async def test_a_restart_mid_stream_loses_and_duplicates_nothing(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    third = user(5003, "Sam", "Lee")
    # The first run judges three messages but stops before delivering anything.
    async with Running(fake, school(Mode.WARN), incident_log, interval=3600) as bot:
        say(fake, "idiot", sender=PARENT)
        say(fake, "see you at the fair", sender=OTHER)
        say(fake, "what an idiot", sender=OTHER)
        await bot.barrier()
        assert len(incident_log.incidents()) == 2
    assert fake.of("sendMessage", PARENT["id"]) == []
    handled = max(u["update_id"] for u in fake.updates)
    assert fake.confirmed == handled + 1  # confirmed only once handled, on the way out

    # As if that confirmation had been lost in a crash: Telegram serves it all again.
    fake.rewind()
    async with Running(fake, school(Mode.WARN), incident_log) as bot:
        say(fake, "idiot", sender=third)
        await bot.settle()
    for person in (PARENT, OTHER, third):
        assert len(fake.of("sendMessage", person["id"])) == 1
    assert len(incident_log.incidents()) == 3
    assert [o.status for o in incident_log.outbox()] == ["sent"] * 3


async def test_the_confirmation_on_the_way_out_survives_a_poll_cut_off_anywhere(
    fake: FakeTelegram,
) -> None:
    # Stopping cancels the long poll in flight, at whatever point it has reached;
    # cut off while connecting, it kept its connection slot, and with a pool of
    # one the confirmation that follows timed out and was silently dropped.
    outcomes = []
    for spins in range(40):
        app = build_application(env_for(fake))
        await app.initialize()
        poll = asyncio.ensure_future(app.bot.get_updates(offset=7, timeout=timedelta(seconds=1)))
        for _ in range(spins):
            await asyncio.sleep(0)
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError, TelegramError):
            await poll
        try:
            await app.bot.get_updates(offset=7, timeout=timedelta(0), limit=1)
            outcomes.append("confirmed")
        except TelegramError as exc:
            outcomes.append(f"after {spins} steps: {exc.message}")
        await app.shutdown()
    assert set(outcomes) == {"confirmed"}, outcomes


class FailingOnce(KeywordClassifier):
    """A classifier whose first call fails, as a database or model outage would."""

    def judge_many(
        self,
        texts: Sequence[str],
        media: Sequence[str | None] | None = None,
        images: Sequence[bytes | None] | None = None,
        roster: Roster | None = None,
    ) -> list[Judgement]:
        if self.calls == 0:
            self.calls += 1
            raise RuntimeError("model unavailable")
        return super().judge_many(texts, media, images, roster)


async def test_an_update_that_fails_is_handled_again_not_lost(
    fake: FakeTelegram, incident_log: IncidentLog, caplog: pytest.LogCaptureFixture
) -> None:
    settings = school(Mode.WARN)
    async with Running(fake, settings, incident_log, classifier=FailingOnce()) as bot:
        say(fake, "idiot")
        await bot.settle()
    assert len(incident_log.incidents()) == 1
    assert len(fake.of("sendMessage", PARENT["id"])) == 1
    assert "failed: RuntimeError" in caplog.text
    assert "idiot" not in caplog.text  # message text never reaches the logs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_rejects_requests_without_the_secret_token(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    settings = school(Mode.WARN, webhook_url=hook, webhook_listen="127.0.0.1", webhook_port=port)
    update = {
        "update_id": 1,
        "message": {
            "message_id": 10,
            "date": int(time.time()),
            "chat": GROUP,
            "from": PARENT,
            "text": "idiot",
        },
    }
    async with Running(fake, settings, incident_log), httpx.AsyncClient() as client:
        await fake.wait_for(lambda: fake.of("setWebhook"), "the webhook to be registered")
        [registered] = fake.of("setWebhook")
        assert registered.params["url"] == hook
        assert registered.params["secret_token"] == "s3cret-token"

        async def post(body: str, secret: str | None) -> httpx.Response:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            headers["Content-Type"] = "application/json"
            for _ in range(200):  # until the server listens
                try:
                    return await client.post(hook, content=body, headers=headers)
                except httpx.ConnectError:
                    await asyncio.sleep(0.02)
            raise AssertionError("the webhook server never listened")

        assert (await post(json.dumps(update), None)).status_code == 403
        assert (await post(json.dumps(update), "wrong")).status_code == 403
        assert incident_log.incidents() == []
        assert (await post("{not json", "s3cret-token")).status_code == 400
        assert (await post("[]", "s3cret-token")).status_code == 400
        assert (await post(json.dumps(update), "s3cret-token")).status_code == 200
        assert (await post(json.dumps(update), "s3cret-token")).status_code == 200  # again
        await fake.wait_for(lambda: fake.of("sendMessage", PARENT["id"]), "the warning")
    assert len(incident_log.incidents()) == 1
    assert len(fake.of("sendMessage", PARENT["id"])) == 1
    assert fake.of("getUpdates") == []


async def test_a_dry_run_judges_and_records_but_sends_nothing(
    fake: FakeTelegram, incident_log: IncidentLog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram")
    async with Running(fake, school(Mode.ENFORCE), incident_log, dry_run=True):
        say(fake, "I will hurt you")

        def delivered() -> bool:
            items = incident_log.outbox()
            return bool(items) and all(o.status == "sent" for o in items)

        await fake.wait_for(delivered, "the dry run to go through the outbox")
    assert len(incident_log.incidents()) == 1
    for method in ("sendMessage", "deleteMessage", "setMyCommands", "sendDocument"):
        assert fake.of(method) == []
    assert "dry run: would delete a message" in caplog.text
    assert "dry run: would send" in caplog.text
    assert "hurt" not in caplog.text


async def test_a_rejected_token_stops_with_one_clear_line(
    fake: FakeTelegram, incident_log: IncidentLog
) -> None:
    env = TelegramEnv.from_environ(
        {"TELEGRAM_BOT_TOKEN": "999:not-the-token", "TELEGRAM_API_BASE_URL": fake.root}
    )
    assert env is not None
    service = TelegramService(school(), incident_log, KeywordClassifier(), env)
    with pytest.raises(SetupError, match="Telegram rejected TELEGRAM_BOT_TOKEN") as caught:
        await serve([service], incident_log, asyncio.Event())
    assert "not-the-token" not in str(caught.value)


def test_the_environment_is_read_and_checked() -> None:
    assert TelegramEnv.from_environ({}) is None
    env = TelegramEnv.from_environ(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://localhost:8081/bot/"}
    )
    assert env is not None
    assert env.base_url == "http://localhost:8081/bot"
    assert env.base_file_url == "http://localhost:8081/file/bot"
    assert len(env.webhook_secret) >= 32  # generated when not given
    default = TelegramEnv.from_environ({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert default is not None and default.base_url == "https://api.telegram.org/bot"
    assert env.scrub(f"failed at /bot{TOKEN}/getMe") == "failed at /bot<token>/getMe"
    bad = [
        {"TELEGRAM_BOT_TOKEN": "no colon"},
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "localhost:8081"},
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "has spaces"},
    ]
    for environ in bad:
        with pytest.raises(TelegramEnvError):
            TelegramEnv.from_environ(environ)


def test_group_id_of_the_example_config_matches_the_tests() -> None:
    settings = school()
    group = settings.group("telegram", str(GROUP_ID))
    assert group is not None and group.moderators[0].telegram_user_id == 111111111
