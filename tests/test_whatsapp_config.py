"""WhatsApp settings: phone numbers validated and normalised, senders kept apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.whatsapp.addresses import PhoneError, masked, whatsapp_address
from bot.whatsapp.credentials import TwilioCredentials, WhatsAppSetupError, public_url
from config.loader import ConfigError, load_settings
from tests.whatsapp_support import whatsapp_settings


def test_numbers_are_normalised_in_every_common_form() -> None:
    for raw in ("07911 123456", "+44 7911 123456", "whatsapp:+447911123456", "(07911) 123-456"):
        assert whatsapp_address(raw) == "whatsapp:+447911123456"
    assert whatsapp_address("415 523 8886", region="US") == "whatsapp:+14155238886"
    assert masked("whatsapp:+447911123456") == "…3456"


@pytest.mark.parametrize("raw", ["0123", "hello", "", "+44 20", "07700 900123"])
def test_a_malformed_number_is_a_clear_error(raw: str) -> None:
    with pytest.raises(PhoneError, match=r"is not a (valid )?phone number"):
        whatsapp_address(raw)


def _config_with(tmp_path: Path, change: dict[str, object]) -> Path:
    data = whatsapp_settings().model_dump(mode="json")
    for dotted, value in change.items():
        target: Any = data
        *parents, last = dotted.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_config_names_the_malformed_number(tmp_path: Path) -> None:
    path = _config_with(tmp_path, {"groups.2.moderators.0.whatsapp": "07911 12"})
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "groups[2].moderators[0].whatsapp: '07911 12' is not a valid phone number" in message
    assert "\n" not in message


def test_class_groups_cannot_use_the_one_to_one_number(tmp_path: Path) -> None:
    path = _config_with(tmp_path, {"whatsapp.group_sender": "+447911000100"})
    with pytest.raises(ConfigError, match=r"whatsapp\.group_sender: class groups need a number"):
        load_settings(path)
    path = _config_with(tmp_path, {"groups.3.whatsapp_sender": "07911 000100"})
    with pytest.raises(ConfigError, match=r"groups\[3\].whatsapp_sender"):
        load_settings(path)


def test_malformed_sids_are_refused(tmp_path: Path) -> None:
    path = _config_with(tmp_path, {"whatsapp.conversations_service_sid": "IS123"})
    with pytest.raises(ConfigError, match=r"whatsapp\.conversations_service_sid"):
        load_settings(path)


def test_the_bundled_example_still_loads_without_whatsapp() -> None:
    settings = load_settings()
    assert settings.whatsapp.sender is None and settings.whatsapp.phone_region == "GB"


def test_credentials_come_from_the_environment_only() -> None:
    with pytest.raises(WhatsAppSetupError, match="set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        TwilioCredentials.from_env({})
    with pytest.raises(WhatsAppSetupError, match="must be an account SID"):
        TwilioCredentials.from_env({"TWILIO_ACCOUNT_SID": "x", "TWILIO_AUTH_TOKEN": "y"})
    creds = TwilioCredentials.from_env(
        {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "secret-token"}
    )
    assert "secret-token" not in repr(creds)


def test_the_public_url_is_checked() -> None:
    assert public_url({}) is None
    env = {"CLASSGUARD_PUBLIC_URL": "https://cg.example.sch.uk/"}
    assert public_url(env) == "https://cg.example.sch.uk"
    with pytest.raises(WhatsAppSetupError, match="CLASSGUARD_PUBLIC_URL must be"):
        public_url({"CLASSGUARD_PUBLIC_URL": "cg.example.sch.uk"})
