"""The retention purge: what goes once the school's retention period has passed, and what stays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

import bot.cli  # noqa: F401  (registers every command, so `purge` is a subcommand)
from bot.cli_base import app, console, err
from bot.scheduler import PURGE_JOB_ID, PurgeJob, start_digest_scheduler
from config.loader import example_config_path
from config.schema import Mode
from moderation.pipeline import Pipeline
from storage.models import (
    DigestRun,
    Incident,
    IncidentEvent,
    KeyValue,
    MemberRef,
    MessageCount,
    OutboxItem,
    PendingWarning,
    Person,
    WhatsAppMessage,
)
from storage.repository import IncidentLog
from storage.retention import PurgeCounts, purge_expired
from tests.support import KeywordClassifier, message
from tests.test_pipeline import settings_in

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RETENTION = timedelta(days=365)
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=10)
SETTINGS = settings_in(Mode.WARN)


def flag(log: IncidentLog, when: datetime, sender: str, message_id: str) -> int:
    """Record a flagged message as the pipeline does at ``when``; returns the case number."""
    pipeline = Pipeline(SETTINGS, KeywordClassifier(), log, clock=lambda: when)
    decision = pipeline.process(message("idiot", sender=sender, message_id=message_id, when=when))
    assert decision.incident_id is not None
    return decision.incident_id


def outbox_item(when: datetime, status: str, incident_id: int | None = None) -> OutboxItem:
    return OutboxItem(
        incident_id=incident_id,
        created_at=when,
        platform="telegram",
        group_id="-100200",
        kind="warn_privately",
        recipient=None if status == "sent" else "555001",
        payload={"text": "Please keep to the code of conduct."},
        batch_key=None,
        status=status,
        attempts=0,
        next_attempt_at=when,
        sent_at=when if status == "sent" else None,
    )


def pending_warning(token: str, outbox_id: int, incident_id: int | None) -> PendingWarning:
    return PendingWarning(
        token=token,
        outbox_id=outbox_id,
        incident_id=incident_id,
        platform="telegram",
        group_id="-100200",
        pseudonym="p" * 64,
        text="A private word about your message.",
        created_at=OLD,
        expires_at=OLD + timedelta(days=7),
    )


def whatsapp_row(ref: str, when: datetime, incident_id: int | None) -> WhatsAppMessage:
    return WhatsAppMessage(
        conversation_sid="CH" + "0" * 32,
        content_key=(ref * 8)[:64],
        message_ref=ref,
        incident_id=incident_id,
        judged_at=when,
    )


def ids(log: IncidentLog, column: Any) -> set[Any]:
    with log.sessions() as session:
        return set(session.scalars(select(column)))


def count(log: IncidentLog, model: Any) -> int:
    with log.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def seeded(incident_log: IncidentLog) -> dict[str, int]:
    """Dan: one old case only. Priya: an old case and a recent one. Each with its trail."""
    log = incident_log
    cases = {
        "dan_old": flag(log, OLD, "1001", "1"),
        "priya_old": flag(log, OLD, "2002", "2"),
        "priya_recent": flag(log, RECENT, "2002", "3"),
    }
    log.add_event(cases["dan_old"], "Mrs Clarke", "note", "Spoke to Dan", OLD + timedelta(days=2))
    with log.sessions.begin() as session:
        warning = outbox_item(OLD, "pending", cases["dan_old"])
        session.add(warning)
        session.flush()
        session.add(pending_warning("dan-token", warning.id, cases["dan_old"]))
        session.add(MemberRef(incident_id=cases["dan_old"], address="555001", created_at=OLD))
        session.add(
            MemberRef(incident_id=cases["priya_recent"], address="555002", created_at=RECENT)
        )
        session.add(whatsapp_row("wa-old", OLD, cases["dan_old"]))
        session.add(whatsapp_row("wa-recent", RECENT, cases["priya_recent"]))
    log.count_message("export:oakfield-year4", OLD.date())
    log.pseudonym("telegram", "1001")  # makes sure the pseudonym key is stored
    return cases


def test_an_expired_case_goes_with_its_trail_and_its_parent(
    incident_log: IncidentLog, seeded: dict[str, int]
) -> None:
    log = incident_log
    assert count(log, Incident) == 3 and count(log, Person) == 2
    assert count(log, OutboxItem) >= 3
    counts_before = [
        (c.group_id, c.day, c.total, c.flagged) for c in log.counts(date.min, date.max)
    ]

    counts = purge_expired(log, NOW, RETENTION)

    assert ids(log, Incident.id) == {seeded["priya_recent"]}
    survivor = log.incident(seeded["priya_recent"])
    assert survivor is not None and [e.kind for e in survivor.events] == ["opened"]
    assert ids(log, IncidentEvent.incident_id) == {seeded["priya_recent"]}
    assert {i.incident_id for i in log.outbox()} == {seeded["priya_recent"]}
    assert ids(log, Person.id) == {survivor.person_id}
    assert ids(log, PendingWarning.token) == set()
    assert ids(log, MemberRef.incident_id) == {seeded["priya_recent"]}
    assert ids(log, WhatsAppMessage.message_ref) == {"wa-recent"}
    # Aggregate counts and the pseudonym key are not personal data, and stay.
    assert [
        (c.group_id, c.day, c.total, c.flagged) for c in log.counts(date.min, date.max)
    ] == counts_before
    assert ids(log, KeyValue.key) == {"pseudonym_key"}

    assert counts.incidents == 2 and counts.people == 1
    assert counts.incident_events == 3  # two "opened" and Dan's note
    assert counts.pending_warnings == 1 and counts.member_refs == 1
    assert counts.whatsapp_messages == 1
    assert counts.outbox >= 2  # each old case's warning at least, and Dan's extra one
    assert purge_expired(log, NOW, RETENTION) == PurgeCounts()


def test_a_case_with_a_recent_event_is_kept(incident_log: IncidentLog) -> None:
    case = flag(incident_log, OLD, "1001", "1")
    incident_log.add_event(case, "Mrs Clarke", "note", "Still talking to the family", RECENT)
    with incident_log.sessions.begin() as session:
        session.add(MemberRef(incident_id=case, address="555001", created_at=OLD))

    counts = purge_expired(incident_log, NOW, RETENTION)

    kept = incident_log.incident(case)
    assert kept is not None and [e.kind for e in kept.events] == ["opened", "note"]
    assert count(incident_log, Person) == 1
    # Its year-old notifications and the parent's platform id are past the period, though.
    assert incident_log.outbox() == [] and count(incident_log, MemberRef) == 0
    assert counts.incidents == 0 and counts.member_refs == 1 and counts.outbox >= 1


def test_old_notifications_go_whatever_their_status(incident_log: IncidentLog) -> None:
    """A notification unsent for the whole retention period is expired personal data too."""
    log = incident_log
    with log.sessions.begin() as session:
        old = [outbox_item(OLD, s) for s in ("sent", "failed", "pending", "sending")]
        digest = outbox_item(OLD, "sent")
        recent = [outbox_item(RECENT, "pending"), outbox_item(RECENT, "sent")]
        late = outbox_item(OLD, "sent")
        late.sent_at = RECENT  # retried by hand and delivered only recently
        session.add_all([*old, digest, *recent, late])
        session.flush()
        session.add(DigestRun(week="2025-W42", queued_at=OLD, outbox_id=digest.id))
        session.add(DigestRun(week="2026-W46", queued_at=RECENT, outbox_id=recent[1].id))
        session.add(pending_warning("old-token", old[2].id, None))
        keep = {late.id, *(r.id for r in recent)}

    counts = purge_expired(log, NOW, RETENTION)

    assert {i.id for i in log.outbox()} == keep
    assert counts.outbox == 5 and counts.pending_warnings == 1
    with log.sessions() as session:
        runs = {r.week: r.outbox_id for r in session.scalars(select(DigestRun))}
    assert runs == {"2025-W42": None, "2026-W46": recent[1].id}


def test_a_dry_run_counts_and_deletes_nothing(
    incident_log: IncidentLog, seeded: dict[str, int]
) -> None:
    before = {m.__tablename__: count(incident_log, m) for m in (Incident, OutboxItem, Person)}
    dry = purge_expired(incident_log, NOW, RETENTION, dry_run=True)
    after = {m.__tablename__: count(incident_log, m) for m in (Incident, OutboxItem, Person)}
    assert after == before
    assert dry.incidents == 2 and dry.people == 1
    assert purge_expired(incident_log, NOW, RETENTION) == dry


def test_the_nightly_job_purges_with_the_schools_retention(incident_log: IncidentLog) -> None:
    flag(incident_log, NOW - timedelta(days=40), "1001", "1")
    recent = flag(incident_log, NOW - timedelta(days=20), "2002", "2")
    school = SETTINGS.school.model_copy(update={"retention_days": 30})
    settings = SETTINGS.model_copy(update={"school": school})

    counts = PurgeJob(settings, incident_log, clock=lambda: NOW).fire()

    assert counts.incidents == 1 and ids(incident_log, Incident.id) == {recent}


def test_the_purge_is_scheduled_nightly_beside_the_digest(engine: Engine) -> None:
    scheduler = start_digest_scheduler(SETTINGS, engine, clock=lambda: NOW)
    try:
        job = scheduler.get_job(PURGE_JOB_ID)
        assert job is not None and job.next_run_time is not None
        local = job.next_run_time.astimezone(ZoneInfo("Europe/London"))
        assert (local.hour, local.minute) == (3, 30)
        assert job.next_run_time - datetime.now(UTC) <= timedelta(days=1)
    finally:
        scheduler.shutdown()
    again = start_digest_scheduler(SETTINGS, engine)  # a restart keeps the one stored job
    try:
        assert [j.id for j in again.get_jobs()].count(PURGE_JOB_ID) == 1
    finally:
        again.shutdown()


# -- the command line ------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example school, keeping records for 30 days."""
    data = yaml.safe_load(example_config_path().read_text("utf-8"))
    data["school"]["retention_days"] = 30
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


@pytest.fixture
def cli_log(db_url: str, incident_log: IncidentLog, monkeypatch: pytest.MonkeyPatch) -> IncidentLog:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err, "width", 200)
    now = datetime.now(UTC)
    flag(incident_log, now - timedelta(days=40), "1001", "1")
    flag(incident_log, now - timedelta(days=5), "2002", "2")
    return incident_log


def classguard(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["purge", *args])
    return result.exit_code, result.output


def test_purge_dry_run_reports_and_deletes_nothing(cli_log: IncidentLog, config: Path) -> None:
    before = ids(cli_log, Incident.id)
    code, out = classguard("--config", str(config), "--dry-run")
    assert code == 0, out
    assert "older than 30 days" in out and "would delete" in out and "nothing was deleted" in out
    assert "incidents" in out and "people" in out
    assert ids(cli_log, Incident.id) == before and count(cli_log, Person) == 2


def test_purge_deletes_what_is_past_the_retention_period(
    cli_log: IncidentLog, config: Path
) -> None:
    [_, recent] = sorted(ids(cli_log, Incident.id))
    code, out = classguard("-c", str(config))
    assert code == 0, out
    assert "Purge deleted" in out and "dry run" not in out
    assert ids(cli_log, Incident.id) == {recent} and count(cli_log, Person) == 1
    assert count(cli_log, MessageCount) >= 1


def test_purge_with_a_bad_config_says_so_in_one_line(tmp_path: Path, config: Path) -> None:
    data = yaml.safe_load(config.read_text("utf-8"))
    data["school"]["retention_days"] = 0
    config.write_text(yaml.safe_dump(data), "utf-8")
    code, out = classguard("--config", str(config))
    assert code == 2
    assert "error:" in out and "retention_days" in out and "Traceback" not in out
