"""Shared fixtures: real SQLite files, and the PostgreSQL server when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.cli_base import console, err
from storage.db import make_engine
from storage.migrate import upgrade
from storage.repository import IncidentLog
from tests.fake_telegram import FakeTelegram

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'classguard.db'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = f"cg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def incident_log(engine: Engine) -> IncidentLog:
    """The incident log on a migrated database."""
    return IncidentLog(engine)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API server on 127.0.0.1 for the bot under test."""
    with FakeTelegram() as server:
        yield server


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide terminals, so that rich neither wraps nor cuts the commands' tables and lines."""
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err, "width", 200)
