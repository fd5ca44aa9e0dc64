"""Shared set-up for end-to-end tests on the loopback brokers: the app `cotrader` builds,
pointed by environment variables at the fake Alpaca (trading and data) or Tastytrade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from agents.events import DeskEvent
from bot.app import App, build
from bot.event_text import event_text
from bot.settings import load_settings
from tests.fakes.alpaca import FakeAlpacaData
from tests.fakes.alpaca.trading_server import FakeAlpacaTrading, FillPolicy
from tests.fakes.tastytrade import FakeTastytrade

WORLD = {"AAPL": (190.0, 0.004), "MSFT": (410.0, 0.003), "TSLA": (250.0, 0.002)}


@pytest.fixture
async def alpaca_data() -> AsyncIterator[FakeAlpacaData]:
    f = FakeAlpacaData()
    for sym, (price, trend) in WORLD.items():
        f.add_symbol(sym, price=price, trend=trend)
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
async def alpaca() -> AsyncIterator[FakeAlpacaTrading]:
    f = FakeAlpacaTrading(cash=100_000.0)
    f.set_policy("AAPL", FillPolicy("fill", price=190.0))
    f.set_policy("MSFT", FillPolicy("partial", price=410.0, qty=2))
    f.set_policy("TSLA", FillPolicy("new", price=250.0))
    await f.start()
    yield f
    await f.stop()


def alpaca_vars(alpaca: FakeAlpacaTrading, data: FakeAlpacaData) -> dict[str, str]:
    """The variables that make `cotrader` trade a paper Alpaca account on the fakes."""
    return {
        "COTRADER_MODE": "paper",
        "COTRADER_BROKER": "alpaca",
        "APCA_API_KEY_ID": alpaca.key_id,
        "APCA_API_SECRET_KEY": alpaca.secret_key,
        "APCA_API_BASE_URL": alpaca.base_url,
        "APCA_API_DATA_URL": data.base_url,
    }


@pytest.fixture
def alpaca_env(
    alpaca: FakeAlpacaTrading, alpaca_data: FakeAlpacaData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COTRADER_BROKER=alpaca in paper mode, every request to the loopback fakes."""
    for k, v in alpaca_vars(alpaca, alpaca_data).items():
        monkeypatch.setenv(k, v)


@pytest.fixture
async def tasty() -> AsyncIterator[FakeTastytrade]:
    async with FakeTastytrade() as f:
        yield f


@pytest.fixture
def tasty_env(tasty: FakeTastytrade, monkeypatch: pytest.MonkeyPatch) -> None:
    """COTRADER_BROKER=tastytrade in paper mode (simulated prices), on the loopback fake."""
    monkeypatch.setenv("COTRADER_MODE", "paper")
    monkeypatch.setenv("COTRADER_BROKER", "tastytrade")
    monkeypatch.setenv("TT_SECRET", tasty.provider_secret)
    monkeypatch.setenv("TT_REFRESH", tasty.refresh_token)
    monkeypatch.setenv("COTRADER_TASTYTRADE_API_BASE", tasty.base_url)


async def until(cond: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait (polling the loop) until `cond()` holds; fail after `seconds`."""
    for _ in range(int(seconds / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


class Alerts:
    """Collects the desk's events as a front end shows them: (kind, the sentence)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.events: list[DeskEvent] = []

    async def __call__(self, e: DeskEvent) -> None:
        self.events.append(e)
        self.seen.append((e.kind, event_text(e)))

    def of(self, kind: str) -> list[str]:
        return [t for k, t in self.seen if k == kind]


@asynccontextmanager
async def built() -> AsyncIterator[App]:
    """The app `cotrader` builds from the environment; stopped and closed afterwards."""
    app = build(load_settings())
    try:
        yield app
    finally:
        await app.orchestrator.stop()
        app.close()


async def _desk() -> AsyncIterator[tuple[App, Alerts]]:
    async with built() as app:
        alerts = Alerts()
        app.orchestrator.subscribe(alerts)
        yield app, alerts


@pytest.fixture
async def alpaca_desk(alpaca_env: None) -> AsyncIterator[tuple[App, Alerts]]:
    """The app `cotrader` builds on the Alpaca fakes (not started: tests call start)."""
    async for d in _desk():
        yield d


@pytest.fixture
async def tasty_desk(tasty_env: None) -> AsyncIterator[tuple[App, Alerts]]:
    """The app `cotrader` builds on the Tastytrade fake (not started: tests call start)."""
    async for d in _desk():
        yield d
