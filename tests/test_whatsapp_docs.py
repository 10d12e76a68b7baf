"""The WhatsApp setup guide: its steps, commands and config examples match the software."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import bot.commands.whatsapp  # noqa: F401  (registers the commands)
from bot.cli_base import app
from bot.whatsapp.channel import STATUS_PATH
from bot.whatsapp.conversations import CONVERSATIONS_PATH, WEBHOOK_FILTERS
from bot.whatsapp.credentials import ACCOUNT_SID_ENV, AUTH_TOKEN_ENV, PUBLIC_URL_ENV
from bot.whatsapp.webapp import HEALTH_PATH, MESSAGING_PATH
from config.schema import Group, WhatsApp

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "whatsapp-setup.md"


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def test_the_guide_walks_through_the_setup_step_by_step(guide: str) -> None:
    steps = re.findall(r"^## Step (\d+): (.+)$", guide, re.MULTILINE)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    titles = " ".join(t for _, t in steps).lower()
    for topic in ("credentials", "whatsapp senders", "conversations service", "template"):
        assert topic in titles
    for name in (ACCOUNT_SID_ENV, AUTH_TOKEN_ENV, PUBLIC_URL_ENV):
        assert name in guide
    for path in (CONVERSATIONS_PATH, MESSAGING_PATH, STATUS_PATH, HEALTH_PATH):
        assert path in guide
    for event in WEBHOOK_FILTERS:
        assert event in guide


def test_every_command_in_the_guide_exists(guide: str) -> None:
    commands = set(re.findall(r"classguard whatsapp ([a-z-]+)", guide))
    assert {"create-group", "add", "remove", "list", "configure-webhooks"} <= commands
    for command in commands:
        result = CliRunner().invoke(app, ["whatsapp", command, "--help"])
        assert result.exit_code == 0, command


def test_the_config_examples_fit_the_schema(guide: str) -> None:
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", guide, re.DOTALL)]
    whatsapp = next(b["whatsapp"] for b in blocks if "whatsapp" in b)
    assert WhatsApp.model_validate(whatsapp).conversations_service_sid
    [group] = next(b["groups"] for b in blocks if "groups" in b)
    assert Group.model_validate(group).platform == "whatsapp"
