"""The audit and judging commands as a user runs them: ``parse``, ``classify``, ``scan``,
``demo``, ``init`` and ``check-config``, with the shipped classifier."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import bot.cli  # noqa: F401  (registers the commands)
from bot.cli_base import app
from config.loader import example_config_path

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()

ROSTER = """\
pupils: [Oliver, Amelia]
staff:
  - {name: Mr Jones, role: class teacher}
"""


@pytest.fixture(autouse=True)
def wide(wide_console: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Wide terminals so that rich does not wrap, and a scratch working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def cli(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin)


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_parse_prints_one_json_line_per_message() -> None:
    result = cli("parse", str(FIXTURES / "android_uk.txt"))
    assert result.exit_code == 0, result.output
    rows = lines(result.stdout)
    assert rows and set(rows[0]) == {"timestamp", "author", "text", "media"}
    assert all(isinstance(r["author"], str) and r["author"] for r in rows)


def test_parse_of_a_broken_file_is_one_line() -> None:
    junk = Path("junk.txt")
    junk.write_bytes(b"\x00\xff\xfe garbage \x00" * 50)
    result = cli("parse", str(junk))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_parse_and_scan_an_export_holding_half_an_emoji(tmp_path: Path) -> None:
    entry = {"type": "message", "date": "2026-11-12T09:15:00", "from_id": "user1"}
    messages = [
        {**entry, "id": 1, "from": "Dan \ud83d", "text": "You absolute idiot \ud83d"},
        {**entry, "id": 2, "from": "Amy", "text": "Thanks for organising the cake sale"},
    ]
    export = tmp_path / "result.json"
    export.write_text(json.dumps({"name": "Year 4", "messages": messages}), encoding="utf-8")
    parsed = cli("parse", str(export))
    assert parsed.exit_code == 0, parsed.output
    assert [r["author"] for r in lines(parsed.stdout)] == ["Dan \ufffd", "Amy"]
    scanned = cli("scan", str(export), "--json", str(tmp_path / "scan.json"))
    assert scanned.exit_code == 0, scanned.output
    (breach,) = json.loads((tmp_path / "scan.json").read_text(encoding="utf-8"))["breaches"]
    assert "\ufffd" in json.dumps(breach, ensure_ascii=False)


def test_classify_with_the_example_roster(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(ROSTER)
    source = "\n".join(
        [
            json.dumps(
                {"id": "a", "text": "Mr Jones never replies to anything, he's hopeless at his job"}
            ),
            json.dumps({"id": "b", "text": "So grateful to Mr Jones for running football club"}),
            "this line is not JSON",
            json.dumps({"id": 3, "text": "", "media": "photo"}),
        ]
    )
    result = cli("classify", "--roster", str(roster), "-", stdin=source)
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in lines(result.stdout)}
    assert set(rows) == {"a", "b", 3}
    assert rows["a"]["categories"] == ["staff_grievance"]
    assert rows["a"]["severity"] == "medium"
    assert any("Mr Jones" in str(e) for e in rows["a"]["evidence"])
    assert rows["b"]["categories"] == [] and rows["b"]["severity"] == "none"
    assert set(rows["b"]["scores"]) == {
        "abuse", "threat", "discrimination", "child_concern", "staff_grievance", "defamation",
        "political", "private_chat", "security", "confidential", "pupil_image",
    }  # fmt: skip
    assert "line 3" in result.stderr and "1 line(s) skipped" in result.stderr


def test_classify_reads_odd_encodings_on_standard_input() -> None:
    source = (
        b"\xef\xbb\xbf"  # a byte-order mark before the first line
        + json.dumps({"id": "bom", "text": "Lovely assembly this morning"}).encode()
        + b"\n"
        + b'{"id": "latin1", "text": "Caf\xe9 at drop-off tomorrow?"}\n'
        + json.dumps({"id": "half", "text": "Ha \ud83d you are a pathetic idiot"}).encode()
        + b"\n"
    )
    result = runner.invoke(app, ["classify", "-"], input=source)
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in lines(result.stdout)}
    assert set(rows) == {"bom", "latin1", "half"}
    assert rows["bom"]["categories"] == [] and rows["latin1"]["categories"] == []
    assert rows["half"]["categories"] == ["abuse"]
    assert "skipped" not in result.stderr


def test_scan_reports_breaches_and_writes_json(tmp_path: Path) -> None:
    chat = example_config_path().with_name("example_chat.txt")
    report = tmp_path / "scan.json"
    result = cli("scan", str(chat), "--json", str(report))
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["breaches"], data
    assert all(b["clause"] for b in data["breaches"])


def test_a_scan_leaves_no_copy_of_the_flagged_messages_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    chat = example_config_path().with_name("example_chat.txt")
    result = cli("scan", str(chat), "--json", str(tmp_path / "scan.json"))
    assert result.exit_code == 0, result.output
    assert list(scratch.iterdir()) == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("school: [unclosed\n")
    assert cli("scan", str(chat), "--config", str(broken)).exit_code == 2
    assert list(scratch.iterdir()) == []


def test_demo_tells_the_story_of_the_example_chat_catching_every_breach(tmp_path: Path) -> None:
    result = cli("demo", "--database", str(tmp_path / "demo.db"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ClassGuard demo: Oakfield Primary School" in out
    assert "privately" in out and "to the group's moderators" in out
    assert "to senior leadership" in out
    assert "were not stored" in out
    # Every breach in the example chat is caught (the lines rewrapped into one).
    out = " ".join(out.split())
    breaches = (
        "Hopeless at his job honestly flagged staff_grievance",
        "This government has wrecked the country flagged political",
        "Someone needs to sort that boy out flagged child_concern",
        "Nobody asked you flagged abuse",
        "saves queuing at the office flagged security",
        "Noah and Freya at the front 😍 flagged pupil_image",
        "Don't make me flagged threat",
        "got a written warning flagged confidential",
        "The whole school is a joke flagged staff_grievance",
    )
    assert [b for b in breaches if b not in out] == []


def test_init_writes_a_config_that_check_config_accepts(tmp_path: Path) -> None:
    target = tmp_path / "school.yaml"
    assert cli("init", str(target)).exit_code == 0
    assert target.read_text().startswith("#")
    checked = cli("check-config", str(target))
    assert checked.exit_code == 0, checked.output
    again = cli("init", str(target))
    assert again.exit_code != 0  # never overwrites without --force


def test_a_broken_config_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "school.yaml"
    text = example_config_path().read_text().replace("mode: warn", "mode: shout", 1)
    broken.write_text(text)
    result = cli("check-config", str(broken))
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "school.yaml" in message and "mode" in message
