"""End to end with COTRADER_DATA=alpaca: the app that `cotrader` builds, real alpaca-py, the
loopback Alpaca data API; the broker stays the simulator (paper trading on real prices)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build
from bot.settings import SettingsError, load_settings
from models.domain import Actor
from tests.fakes.alpaca import FakeAlpacaData

# Strong, steady trends so the trend strategy has something to say.
WORLD = {"AAPL": (190.0, 0.004), "MSFT": (410.0, 0.003), "NVDA": (130.0, -0.004)}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAlpacaData]:
    f = FakeAlpacaData()
    for sym, (price, trend) in WORLD.items():
        f.add_symbol(sym, price=price, trend=trend)
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
def alpaca_env(fake: FakeAlpacaData, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COTRADER_DATA", "alpaca")
    monkeypatch.setenv("APCA_API_KEY_ID", fake.key_id)
    monkeypatch.setenv("APCA_API_SECRET_KEY", fake.secret_key)
    monkeypatch.setenv("APCA_API_DATA_URL", fake.base_url + "/v2/")


async def test_scan_and_analyze_run_on_the_fakes_prices(
    alpaca_env: None, fake: FakeAlpacaData, trader: Actor
) -> None:
    app = build(load_settings())
    try:
        o = app.orchestrator
        assert o.market.name == "alpaca" and not o.market.simulated
        # the NYSE calendar is wired in: Thanksgiving 2026, 10:00 ET on a Thursday, is closed
        assert not o.market.is_open(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
        assert o.market.is_open(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
        rep = await o.scan(["AAPL", "MSFT", "NVDA", "ZZZZ"])
        assert rep.scanned == 4 and rep.mode_label == "SIMULATED"
        seen = {r.symbol: r for r in (*rep.ranked, *rep.filtered)}
        assert set(seen) == {"AAPL", "MSFT", "NVDA", "ZZZZ"}
        assert seen["ZZZZ"].reasons and "no daily history" in seen["ZZZZ"].reasons[0]
        for sym in WORLD:
            assert not any("data unavailable" in why for why in seen[sym].reasons), seen[sym]
        # one batched bars request and one batched snapshot request served the whole scan
        bars = fake.calls("/v2/stocks/bars")
        assert [c.query["symbols"] for c in bars] == ["AAPL,MSFT,NVDA,ZZZZ,SPY"]
        assert len(fake.calls("/v2/stocks/snapshots")) == 1
        assert (
            app.store.bars.read("alpaca:iex:split", "1Day", ["AAPL"])["AAPL"].close[-1]
            == (fake.daily["AAPL"][-1]["c"])
        )

        view = await o.analyze("aapl")
        assert view.symbol == "AAPL" and view.indicators
        assert view.idea is not None and view.idea.side.value == "buy"
        assert view.idea.entry == pytest.approx(190.01, abs=0.02)  # the fake's ask

        # paper trading on the simulator at the fake's prices. The sim broker's liquidity is
        # the quoted size x 10 a tick, and IEX top-of-book sizes are small (3 here): it fills
        # in slices, at the ask plus its slippage.
        card = next((c for c in rep.cards if c.symbol == "AAPL"), None)
        assert card is not None, rep.notes
        done = await o.approve(card.id, trader)
        assert done.status in ("filled", "partially_filled") and done.order is not None
        assert 0 < done.order.filled_quantity <= card.quantity
        assert done.order.avg_fill_price == pytest.approx(190.01, rel=0.001)
    finally:
        app.close()


async def test_keys_are_required_and_nothing_is_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COTRADER_DATA", "alpaca")
    monkeypatch.setenv("APCA_API_KEY_ID", "PKSOMEKEY")
    with pytest.raises(SettingsError) as e:
        build(load_settings())
    assert e.value.lines == ["APCA_API_SECRET_KEY: required for COTRADER_DATA=alpaca (not set)"]
    assert not (tmp_path / "home").exists()
    monkeypatch.setenv("APCA_API_SECRET_KEY", "x")
    monkeypatch.setenv("APCA_API_DATA_URL", "ftp://nowhere")
    with pytest.raises(SettingsError, match="APCA_API_DATA_URL: must be an http"):
        load_settings()
