"""``classguard cases``, ``case``, ``history``, ``letter``, ``outbox`` and ``digest``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

import bot.commands.cases
import bot.commands.digest  # noqa: F401  (registers the commands)
from bot.cli_base import app
from bot.telegram.env import TOKEN_ENV
from config.loader import example_config_path
from storage.outbox import MAX_ATTEMPTS, OutboxQueue
from storage.repository import IncidentLog
from tests.smtp_server import SmtpServer, smtp_server_fixture  # noqa: F401
from tests.test_digest import FRIDAY_4PM, seed

runner = CliRunner()


@pytest.fixture
def seeded(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch, wide_console: None
) -> Iterator[dict[str, int]]:
    """The digest tests' two weeks, and wide terminals so tables are not cut."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", TOKEN_ENV):
        monkeypatch.delenv(name, raising=False)
    yield seed(IncidentLog(engine))


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_cases_lists_newest_first_and_filters(seeded: dict[str, int]) -> None:
    result = cli("cases")
    assert result.exit_code == 0, result.output
    numbers = [f"#{n}" for n in sorted(seeded.values(), reverse=True)]
    positions = [result.output.index(f"{n} ") for n in numbers]
    assert positions == sorted(positions)
    assert "Dan Smith" in result.output and "false positive" in result.output

    open_only = cli("cases", "--open").output
    assert f"#{seeded['tom_vote']} " not in open_only and f"#{seeded['dan_threat']} " in open_only
    willow = cli("cases", "--group", "year 3 parents (willow class)").output
    assert "Kemi Adeyemi" in willow and "Dan Smith" not in willow


def test_case_shows_the_evidence_and_records_decisions(seeded: dict[str, int]) -> None:
    case = seeded["dan_threat"]
    shown = cli("case", str(case))
    assert shown.exit_code == 0, shown.output
    assert "If you do that again I will hurt you" in shown.output
    assert (
        "consider police referral" in shown.output and "letter inviting a meeting" in shown.output
    )

    confirmed = cli("case", str(case), "--confirm", "--note", "spoke to him", "--as", "Mrs Clarke")
    assert confirmed.exit_code == 0, confirmed.output
    assert f"Case #{case} is now confirmed." in confirmed.output
    assert "Mrs Clarke" in confirmed.output and "spoke to him" in confirmed.output
    noted = cli("case", str(case), "--note", "meeting booked for Tuesday", "--as", "Mrs Clarke")
    assert "note added" in noted.output
    pardoned = cli("case", str(case), "--pardon", "--as", "Mrs Clarke")
    assert "strike taken back" in pardoned.output

    again = cli("case", str(case), "--pardon")
    assert again.exit_code == 2 and "has no strike to pardon" in again.output
    both = cli("case", str(case), "--close", "--confirm")
    assert both.exit_code == 2 and "choose one of" in both.output
    missing = cli("case", "999")
    assert missing.exit_code == 2 and "there is no case #999" in missing.output
    assert "Traceback" not in missing.output


def test_history_and_letters(seeded: dict[str, int]) -> None:
    history = cli("history", "dan smith")
    assert history.exit_code == 0, history.output
    for name in ("dan_w46", "dan_teacher", "dan_threat"):
        assert f"#{seeded[name]} " in history.output
    assert "Dan Smith:" in history.output and "counting in the last 90 days" in history.output
    assert cli("history", "Nobody").exit_code == 2

    letter = cli("letter", str(seeded["dan_threat"]))
    assert letter.exit_code == 0, letter.output
    assert "DRAFT for review: not sent" in letter.output and "Dear Dan Smith" in letter.output
    none = cli("letter", str(seeded["dan_teacher"]))
    assert none.exit_code == 2 and "has no drafted letter" in none.output


def test_outbox_shows_what_waits_and_failed_items_can_be_retried(
    seeded: dict[str, int], db_url: str, engine: Engine
) -> None:
    log = IncidentLog(engine)
    listed = cli("outbox")
    assert listed.exit_code == 0, listed.output
    assert "warn privately" in listed.output and "escalate to slt" in listed.output
    assert "pending" in listed.output
    assert "idiot" not in listed.output.lower()  # no message text in the listing
    assert cli("outbox", "--failed").output.strip() == "Nothing waiting or failed."

    queue = OutboxQueue(log)
    (item,) = queue.claim_due(FRIDAY_4PM, limit=1)
    for attempt in range(MAX_ATTEMPTS):
        item.attempts = attempt
        queue.mark_failed(item, "HTTP 403: bot was blocked by the user", FRIDAY_4PM)
    failed = cli("outbox", "--failed")
    assert "HTTP 403: bot was blocked by the user" in failed.output and "failed" in failed.output
    assert "--retry" in failed.output

    retried = cli("outbox", "--retry", str(item.id))
    assert retried.exit_code == 0 and f"#{item.id} will be sent" in retried.output
    (again,) = [i for i in log.outbox() if i.id == item.id]
    assert again.status == "pending" and again.attempts == 0
    assert cli("outbox", "--retry", str(item.id)).exit_code == 2
    assert ": HTTP 403: bot was blocked" in cli("outbox", "--all").output


def test_digest_preview_writes_html(seeded: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "digest.html"
    result = cli("digest", "--week", "2026-W47", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Week 47: 16 to 22 November 2026" in result.output
    page = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "Cases for senior leaders" in page
    bad = cli("digest", "--week", "week 47")
    assert bad.exit_code == 2 and "is not an ISO week such as 2026-W47" in bad.output


def test_digest_send_delivers_only_the_digest(
    seeded: dict[str, int],
    engine: Engine,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    log = IncidentLog(engine)
    nowhere = cli("digest", "--week", "2026-W47", "--send")
    assert nowhere.exit_code == 2 and "the digest has nowhere to go" in nowhere.output
    assert not [i for i in log.outbox() if i.kind == "digest"]

    for name, value in smtp_server.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.ca_file))
    before = {i.id: (i.status, i.attempts) for i in log.outbox()}
    monkeypatch.chdir(tmp_path)
    sent = cli("digest", "--week", "2026-W47", "--send")
    assert sent.exit_code == 0, sent.output
    assert "Sent to senior leaders" in sent.output
    assert not list(tmp_path.glob("*.html"))  # sending alone writes no file
    (mail,) = smtp_server.received
    assert mail.encrypted and "week 47" in mail.message["Subject"]
    after = {i.id: (i.status, i.attempts) for i in log.outbox() if i.id in before}
    assert after == before  # the other notifications were left for the worker
    (digest,) = [i for i in log.outbox() if i.kind == "digest"]
    assert digest.status == "sent" and digest.created_at - FRIDAY_4PM > timedelta(days=1)


def test_digest_send_with_telegram_leaves_it_to_the_running_bot(
    seeded: dict[str, int],
    engine: Engine,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    config = yaml.safe_load(example_config_path().read_text(encoding="utf-8"))
    config["digest"]["telegram_chat_id"] = "-1009876543210"
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    for name, value in smtp_server.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(TOKEN_ENV, "123456:TEST")
    queued = cli("digest", "--week", "2026-W47", "--send", "--config", str(path))
    assert queued.exit_code == 0, queued.output
    assert "the running ClassGuard (classguard run) sends it" in queued.output
    (digest,) = [i for i in IncidentLog(engine).outbox() if i.kind == "digest"]
    assert digest.status == "pending" and smtp_server.received == []
