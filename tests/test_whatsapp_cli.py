"""``classguard whatsapp …`` against the fake Twilio: groups, members and webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import bot.commands.whatsapp  # registers the commands
import bot.whatsapp.client
from bot.cli_base import app
from tests.fake_twilio import FakeTwilio
from tests.whatsapp_support import (
    ENFORCE_GROUP,
    ENV,
    GROUP_NUMBER,
    PARENT,
    PUBLIC,
    SERVICE,
    WARN_GROUP,
    whatsapp_settings,
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    twilio = FakeTwilio().start()
    twilio.add_conversation(ENFORCE_GROUP, "Year 5 Parents (Rowan Class)")
    twilio.add_conversation(WARN_GROUP, "Year 6 Parents (Elm Class)")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(bot.whatsapp.client, "default_http_client", twilio.http_client)
    yield twilio
    twilio.stop()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(whatsapp_settings().model_dump(mode="json")), "utf-8")
    return path


def classguard(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["whatsapp", *args])
    return result.exit_code, result.output


def test_create_group_makes_a_conversation_and_prints_its_config_entry(
    fake: FakeTwilio, config: Path
) -> None:
    code, out = classguard("create-group", "Year 2 Parents (Ash Class)", "-c", str(config))
    assert code == 0, out
    [call] = fake.calls_to("POST", f"/v1/Services/{SERVICE}/Conversations")
    assert call.get("FriendlyName") == "Year 2 Parents (Ash Class)"
    made = next(c for c in fake.conversations.values() if c.friendly_name.startswith("Year 2"))
    assert f"chat_id: {made.sid}" in out and "platform: whatsapp" in out
    assert 'name: "Year 2 Parents (Ash Class)"' in out and "mode: observe" in out


def test_add_puts_a_parent_in_a_group_under_their_name(fake: FakeTwilio, config: Path) -> None:
    code, out = classguard(
        "add",
        "Year 5 Parents (Rowan Class)",
        "07911 123456",
        "--name",
        "Dan Smith",
        "-c",
        str(config),
    )
    assert code == 0, out
    [call] = fake.calls_to("POST", f"/Conversations/{ENFORCE_GROUP}/Participants")
    assert call.get("MessagingBinding.Address") == PARENT
    assert call.get("MessagingBinding.ProxyAddress") == GROUP_NUMBER
    assert json.loads(call.get("Attributes") or "{}") == {"name": "Dan Smith"}
    assert "Added Dan Smith (+447911123456) to Year 5 Parents (Rowan Class)." in out
    code, out = classguard("add", ENFORCE_GROUP, "+447911123456", "-n", "Dan", "-c", str(config))
    assert code == 2 and "+447911123456 is already in the group" in out


def test_a_malformed_number_is_refused_before_twilio_is_asked(
    fake: FakeTwilio, config: Path
) -> None:
    code, out = classguard("add", ENFORCE_GROUP, "0123", "--name", "X", "-c", str(config))
    assert code == 2
    assert "error: '0123' is not a valid phone number" in " ".join(out.split())
    assert fake.calls_to("POST", "/Participants") == []


def test_a_parent_already_in_another_group_on_the_same_number_is_explained(
    fake: FakeTwilio, config: Path
) -> None:
    fake.add_participant(WARN_GROUP, PARENT, "Dan Smith", GROUP_NUMBER)
    code, out = classguard("add", ENFORCE_GROUP, "07911123456", "-n", "Dan", "-c", str(config))
    assert code == 2
    flat = " ".join(out.split())
    assert "already in another class group on +447911000200" in flat
    assert "whatsapp_sender" in flat


def test_remove_takes_a_parent_out_and_list_shows_members(fake: FakeTwilio, config: Path) -> None:
    fake.add_participant(ENFORCE_GROUP, PARENT, "Dan Smith", GROUP_NUMBER)
    code, out = classguard("list", ENFORCE_GROUP, "-c", str(config))
    assert code == 0 and "Dan Smith" in out and "+447911123456" in out and "1 member(s)" in out
    code, out = classguard("remove", ENFORCE_GROUP, "07911 123456", "-c", str(config))
    assert code == 0 and "Removed Dan Smith from Year 5 Parents (Rowan Class)." in out
    assert fake.conversations[ENFORCE_GROUP].participants == {}
    code, out = classguard("remove", ENFORCE_GROUP, "07911 123456", "-c", str(config))
    assert code == 2 and "is not in the group" in out


def test_list_without_a_group_lists_the_services_conversations(
    fake: FakeTwilio, config: Path
) -> None:
    fake.add_conversation("CH" + "e" * 32, "Old test group")
    code, out = classguard("list", "-c", str(config))
    assert code == 0
    assert "yes (enforce)" in out and "yes (warn)" in out and "Old test group" in out


def test_configure_webhooks_sets_both_events_to_the_public_address(
    fake: FakeTwilio, config: Path
) -> None:
    code, out = classguard("configure-webhooks", "-c", str(config))
    assert code == 0, out
    [call] = fake.calls_to("POST", f"/v1/Services/{SERVICE}/Configuration/Webhooks")
    hook = f"{PUBLIC}/webhooks/twilio/conversations"
    assert call.get("PreWebhookUrl") == hook and call.get("PostWebhookUrl") == hook
    assert call.form["Filters"] == ["onMessageAdd", "onMessageAdded"]
    assert call.get("Method") == "POST"
    assert f"{PUBLIC}/webhooks/twilio/messaging" in out


def test_configure_webhooks_routes_a_messaging_service_too(
    fake: FakeTwilio, tmp_path: Path
) -> None:
    data = whatsapp_settings().model_dump(mode="json")
    data["whatsapp"]["messaging_service_sid"] = "MG" + "4" * 32
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    code, out = classguard("configure-webhooks", "-c", str(path), "--public-url", "https://x.org")
    assert code == 0, out
    [call] = fake.calls_to("POST", "/v1/Services/MG")
    assert call.get("InboundRequestUrl") == "https://x.org/webhooks/twilio/messaging"
    assert "CLASSGUARD_PUBLIC_URL=https://x.org" in " ".join(out.split())


def test_missing_credentials_or_service_are_one_line_errors(
    fake: FakeTwilio, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    code, out = classguard("list", "-c", str(config))
    assert code == 2 and "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in out
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "x")
    code, out = classguard("list")  # the bundled example has no Conversations service
    assert code == 2 and "set whatsapp.conversations_service_sid" in out
    code, out = classguard("add", "Nope", "07911 123456", "-n", "X", "-c", str(config))
    assert code == 2 and "no WhatsApp group called 'Nope'" in out
