"""Shared fixtures: an isolated COTRADER_HOME, a controllable clock, a built app."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build
from bot.settings import load_settings
from models.domain import Actor

# the loopback broker fixtures; the LLM intent rig; a throwaway PostgreSQL cluster
pytest_plugins = ["tests.e2e.broker_world", "tests.e2e.intent_rig", "tests.pg"]

# A weekday afternoon (ET) so the sim clock sits mid-session.
T0 = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)

VENDOR_VARS = (
    "DISCORD_TOKEN",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    "TT_SECRET",
    "TT_REFRESH",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "APCA_API_BASE_URL",
    "APCA_API_DATA_URL",
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, t: datetime = T0) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's .env, keys or home."""
    for k in list(os.environ):
        if k.startswith("COTRADER_") or k in VENDOR_VARS:
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("COTRADER_HOME", str(tmp_path / "home"))
    # scheduled jobs fire at real NYSE times: only the tests of the scheduler turn them on
    monkeypatch.setenv("COTRADER_SCHEDULER", "0")
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., App]]:
    """Build apps on the test's home (same database each time, like a restart)."""
    built: list[App] = []

    def _make(clock: Clock | None = None, **overrides: Any) -> App:
        c = clock or Clock()
        a = build(load_settings(**overrides), clock=c, market_clock=c)
        built.append(a)
        return a

    yield _make
    for a in built:
        a.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file in tmp_path, or a new PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'db' / 'cotrader.db'}"


@pytest.fixture
def app(make_app: Callable[..., App], clock: Clock) -> App:
    return make_app(clock)


@pytest.fixture
def trader() -> Actor:
    return Actor(id="user:1", name="alice", can_approve=True)


@pytest.fixture
def viewer() -> Actor:
    return Actor(id="user:2", name="bob", can_approve=False)
