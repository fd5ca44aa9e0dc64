"""The persistent bar cache: the repository on SQLite, and the data agent's incremental top-up
against the loopback Alpaca data API (the fake records what each request asked for)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from agents.data import DAILY, DataAgent, lookback_start
from brokers.alpaca.data import AlpacaMarketData
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.transport import RetryPolicy
from models.bar_cache import BarCacheError
from models.domain import Bars
from models.store import Store
from tests.conftest import Clock
from tests.fakes.alpaca import FakeAlpacaData

FRIDAY_5PM_ET = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
SRC = "alpaca:iex:split"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'cache.db'}")
    s.upgrade()
    yield s
    s.dispose()


def bars(symbol: str, n: int, start: datetime, price: float = 10.0) -> Bars:
    ts = [start + timedelta(days=i) for i in range(n)]
    px = [price + i for i in range(n)]
    return Bars(symbol=symbol, ts=ts, open=px, high=px, low=px, close=px, volume=[1e6] * n)


# ---------------------------------------------------------------- the repository


def test_write_then_read_round_trips_in_one_query(store: Store) -> None:
    t0 = datetime(2025, 1, 2, 5, 0, tzinfo=UTC)
    assert store.bars.write(SRC, DAILY, [bars("AAPL", 5, t0), bars("MSFT", 3, t0, 50.0)]) == 8
    selects: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        got = store.bars.read(SRC, DAILY, ["AAPL", "MSFT", "NONE"])
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(selects) == 1
    assert set(got) == {"AAPL", "MSFT"}
    assert got["AAPL"].ts == [t0 + timedelta(days=i) for i in range(5)]
    assert got["AAPL"].ts[0].tzinfo is UTC and got["MSFT"].close == [50.0, 51.0, 52.0]
    assert store.bars.read(SRC, DAILY, ["AAPL"], since=t0 + timedelta(days=3))["AAPL"].close == [
        13.0,
        14.0,
    ]
    assert store.bars.read("alpaca:sip:split", DAILY, ["AAPL"]) == {}  # sources never mix
    assert store.bars.last_stamps(SRC, DAILY, ["AAPL", "MSFT", "NONE"]) == {
        "AAPL": t0 + timedelta(days=4),
        "MSFT": t0 + timedelta(days=2),
    }


def test_write_is_an_upsert_and_replace_swaps_history(store: Store) -> None:
    t0 = datetime(2025, 1, 2, 5, 0, tzinfo=UTC)
    store.bars.write(SRC, DAILY, [bars("AAPL", 3, t0)])
    store.bars.write(SRC, DAILY, [bars("AAPL", 2, t0 + timedelta(days=2), 99.0)])
    assert store.bars.read(SRC, DAILY, ["AAPL"])["AAPL"].close == [10.0, 11.0, 99.0, 100.0]
    store.bars.replace(SRC, DAILY, bars("AAPL", 2, t0, 2.5))
    assert store.bars.read(SRC, DAILY, ["AAPL"])["AAPL"].close == [2.5, 3.5]
    assert store.bars.clear(SRC) == 1 and store.bars.read(SRC, DAILY) == {}


def test_bad_bars_are_refused_and_nothing_is_written(store: Store) -> None:
    naive = bars("AAPL", 2, datetime(2025, 1, 2))
    with pytest.raises(BarCacheError, match="naive"):
        store.bars.write(SRC, DAILY, [naive])
    good = bars("AAPL", 2, datetime(2025, 1, 2, tzinfo=UTC))
    nan = good.model_copy(update={"close": [1.0, math.nan]})
    with pytest.raises(BarCacheError, match="bad bar values"):
        store.bars.write(SRC, DAILY, [good, nan])
    ragged = good.model_copy(update={"volume": [1.0]})
    with pytest.raises(BarCacheError, match="different lengths"):
        store.bars.write(SRC, DAILY, [ragged])
    assert store.bars.read(SRC, DAILY) == {}


# ---------------------------------------------------------------- the top-up


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY_5PM_ET)


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeAlpacaData]:
    f = FakeAlpacaData(wall=lambda: clock().timestamp())
    f.add_symbol("AAPL", price=190.0)
    f.add_symbol("MSFT", price=410.0)
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
def market(fake: FakeAlpacaData, clock: Clock) -> Iterator[AlpacaMarketData]:
    m = AlpacaMarketData(
        fake.key_id,
        fake.secret_key,
        url_override=fake.base_url,
        clock=clock,
        limiter=RateLimiter(per_minute=60_000, burst=1_000),
        retry=RetryPolicy(attempts=1),
    )
    yield m
    m.close()


def agent(market: AlpacaMarketData, store: Store) -> DataAgent:
    """A fresh agent: empty memory caches, as after a restart or once bars_ttl has passed."""
    return DataAgent(market, bar_cache=store.bars)


async def test_a_rescan_asks_only_for_bars_after_the_last_cached_one(
    market: AlpacaMarketData, fake: FakeAlpacaData, store: Store, clock: Clock
) -> None:
    ok, skipped = await agent(market, store).many(["AAPL", "MSFT"])
    assert skipped == {} and len(ok) == 2
    first = fake.calls("/v2/stocks/bars")
    assert [c.query["symbols"] for c in first] == ["AAPL,MSFT"]  # one batched request
    assert first[0].query["start"] == lookback_start(clock(), 260).isoformat()
    cached = store.bars.read(SRC, DAILY, ["AAPL", "MSFT"])
    last = cached["AAPL"].ts[-1]
    assert len(cached["AAPL"]) >= 260 and last == cached["MSFT"].ts[-1]

    clock.advance(days=1)  # Saturday: Friday's session is complete and the venue has it
    new = {s: fake.append_day(s) for s in ("AAPL", "MSFT")}
    mark = len(fake.requests)
    ok, skipped = await agent(market, store).many(["AAPL", "MSFT"])
    assert skipped == {}
    again = [r for r in fake.requests[mark:] if r.path == "/v2/stocks/bars"]
    assert len(again) == 1 and again[0].query["symbols"] == "AAPL,MSFT"
    assert again[0].query["start"] == (last + timedelta(seconds=1)).isoformat()
    by_symbol = {d.symbol: d for d in ok}
    assert by_symbol["AAPL"].close[-1] == new["AAPL"]["c"]
    assert len(by_symbol["AAPL"].close) == 260
    after = store.bars.read(SRC, DAILY, ["AAPL", "MSFT"])
    assert len(after["AAPL"]) == len(cached["AAPL"]) + 1 and after["MSFT"].ts[-1] > last


async def test_memory_cache_then_single_symbol_top_up(
    market: AlpacaMarketData, fake: FakeAlpacaData, store: Store
) -> None:
    a = agent(market, store)
    await a.many(["AAPL"])
    mark = len(fake.requests)
    await a.many(["AAPL"])  # within bars_ttl: bars from memory, only a quote refresh
    assert [r.path for r in fake.requests[mark:]] == ["/v2/stocks/snapshots"]
    b = await agent(market, store).daily_bars("AAPL", 100)
    assert len(b) == 100
    assert fake.calls("/v2/stocks/bars")[-1].query["start"].startswith("2026-11-19T05:00:01")


async def test_a_split_refetches_that_symbols_whole_history(
    market: AlpacaMarketData, fake: FakeAlpacaData, store: Store, clock: Clock
) -> None:
    await agent(market, store).many(["AAPL", "MSFT"])
    clock.advance(days=1)
    fake.split("AAPL", 4)
    fake.append_day("AAPL")
    fake.append_day("MSFT")
    mark = len(fake.requests)
    ok, skipped = await agent(market, store).many(["AAPL", "MSFT"])
    assert skipped == {}
    aapl = next(d for d in ok if d.symbol == "AAPL")
    assert aapl.close[0] == pytest.approx(fake.daily["AAPL"][-260]["c"])  # adjusted throughout
    calls = [r.query for r in fake.requests[mark:] if r.path == "/v2/stocks/bars"]
    assert [c["symbols"] for c in calls] == ["AAPL,MSFT", "AAPL"]
    assert calls[1]["start"] == lookback_start(clock(), 260).isoformat()
    cached = store.bars.read(SRC, DAILY, ["AAPL"])["AAPL"]
    wire = {b["t"]: b["c"] for b in fake.daily["AAPL"]}
    assert all(
        c == pytest.approx(wire[t.strftime("%Y-%m-%dT%H:%M:%SZ")])
        for t, c in zip(cached.ts, cached.close, strict=True)
    )


async def test_missing_stale_or_bad_data_is_skipped_with_the_reason(
    market: AlpacaMarketData, fake: FakeAlpacaData, store: Store, clock: Clock
) -> None:
    fake.add_symbol("OLD", last_day=datetime(2026, 11, 2).date())
    fake.add_symbol("BADQ")
    fake.pin_quote("BADQ", bid=0.0, ask=10.0)
    fake.add_symbol("LATEQ")
    fake.pin_quote("LATEQ", bid=99.0, ask=99.1, ts=clock() - timedelta(hours=1))
    fake.add_symbol("BADB")
    fake.daily["BADB"][-3]["l"] = -1.0
    ok, skipped = await agent(market, store).many(["AAPL", "ZZZZ", "OLD", "BADQ", "LATEQ", "BADB"])
    assert [d.symbol for d in ok] == ["AAPL"]
    assert list(skipped) == ["ZZZZ", "OLD", "BADQ", "LATEQ", "BADB"]
    assert "malformed bar on" in skipped["BADB"] and "l -1.0" in skipped["BADB"]
    assert "BADB" not in store.bars.read(SRC, DAILY)
    assert "no daily history from alpaca" in skipped["ZZZZ"]
    assert "2026-11-02" in skipped["OLD"] and "not guessing" in skipped["OLD"]
    assert "quote looks wrong" in skipped["BADQ"]
    assert "3600s old" in skipped["LATEQ"]


async def test_a_failed_batch_skips_its_symbols_and_leaves_the_cache_alone(
    market: AlpacaMarketData, fake: FakeAlpacaData, store: Store, clock: Clock
) -> None:
    await agent(market, store).many(["AAPL", "MSFT"])
    before = store.bars.read(SRC, DAILY)
    clock.advance(days=1)
    fake.fail_next("/v2/stocks/bars", 500)
    ok, skipped = await agent(market, store).many(["AAPL", "MSFT"])
    assert ok == [] and set(skipped) == {"AAPL", "MSFT"}
    assert all("HTTP 500" in why for why in skipped.values())
    assert store.bars.read(SRC, DAILY) == before
