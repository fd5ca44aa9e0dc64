"""AlpacaMarketData against the loopback Alpaca data API: real alpaca-py, real HTTP.

Time is virtual: the venue's wall clock is the test's Clock, and every wait (tenacity's
backoff, the rate limiter's pacing) goes to a recorder that advances a virtual monotonic
clock instead of sleeping.
"""

from __future__ import annotations

import io
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from loguru import logger

from brokers.alpaca.data import AlpacaMarketData, completed_end
from brokers.alpaca.ratelimit import RateLimiter
from brokers.alpaca.transport import RetryPolicy, retry_after_seconds
from brokers.base import BrokerError, MarketData, UnknownSymbolError
from tests.conftest import Clock
from tests.fakes.alpaca import FakeAlpacaData

FRIDAY_5PM_ET = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
PRICES = {"AAPL": 190.0, "MSFT": 410.0, "NVDA": 130.0, "SPY": 560.0}


class Virtual:
    """A monotonic clock that only moves when someone 'sleeps'; every wait is recorded."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []  # tenacity backoff (async)
        self.paced: list[float] = []  # rate-limiter waits (worker threads)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def thread_sleep(self, seconds: float) -> None:
        with self._lock:
            self.paced.append(seconds)
            self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY_5PM_ET)


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeAlpacaData]:
    f = FakeAlpacaData(wall=lambda: clock().timestamp(), page_size=100)
    for sym, px in PRICES.items():
        f.add_symbol(sym, price=px)
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
def virtual() -> Virtual:
    return Virtual()


def make_market(
    fake: FakeAlpacaData, clock: Clock, virtual: Virtual, **kw: Any
) -> AlpacaMarketData:
    kw.setdefault("limiter", RateLimiter(clock=virtual.now))
    kw.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.5))
    return AlpacaMarketData(
        kw.pop("key", fake.key_id),
        kw.pop("secret", fake.secret_key),
        url_override=fake.base_url,
        clock=clock,
        sleep=virtual.sleep,
        thread_sleep=virtual.thread_sleep,
        **kw,
    )


@pytest.fixture
def market(fake: FakeAlpacaData, clock: Clock, virtual: Virtual) -> Iterator[AlpacaMarketData]:
    m = make_market(fake, clock, virtual)
    yield m
    m.close()


# ---------------------------------------------------------------- bars, quotes, batching


async def test_it_is_market_data_and_pages_through_daily_bars(
    market: AlpacaMarketData, fake: FakeAlpacaData
) -> None:
    assert isinstance(market, MarketData)
    bars = await market.daily_bars("aapl", limit=260)
    assert len(bars) == 260 and bars.symbol == "AAPL"
    assert bars.ts == sorted(bars.ts) and bars.close[-1] == fake.daily["AAPL"][-1]["c"]
    calls = fake.calls("/v2/stocks/bars")
    assert len(calls) >= 3, "page_size=100 forces next_page_token paging"
    assert all(c.query["feed"] == "iex" and c.query["adjustment"] == "split" for c in calls)
    assert [("page_token" in c.query) for c in calls] == [False] + [True] * (len(calls) - 1)
    assert market.limiter.granted == len(fake.requests), "every page takes a limiter slot"


async def test_only_completed_sessions_are_returned() -> None:
    before = completed_end(FRIDAY_5PM_ET)  # 17:00 ET: today's bar is not final yet
    assert before < datetime(2026, 11, 20, 5, 0, tzinfo=UTC) <= before + timedelta(seconds=1)
    late = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 21:00 ET
    assert completed_end(late) > datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


async def test_many_symbols_are_batched(market: AlpacaMarketData, fake: FakeAlpacaData) -> None:
    fake.page_size = None
    syms = [f"S{i:03d}" for i in range(150)]
    for s in syms:
        fake.add_symbol(s, days=30)
    start = FRIDAY_5PM_ET - timedelta(days=20)
    got = await market.daily_bars_since([*syms, "ZZZZ"], start)
    assert set(got) == set(syms) and all(b.ts[0] >= start for b in got.values())
    bar_calls = fake.calls("/v2/stocks/bars")
    assert sorted(len(c.query["symbols"].split(",")) for c in bar_calls) == [51, 100]
    quotes = await market.quotes([*syms, "ZZZZ", "not a symbol"])
    assert set(quotes) == set(syms)
    assert len(fake.calls("/v2/stocks/snapshots")) == 2


async def test_quotes_come_from_snapshots(market: AlpacaMarketData, fake: FakeAlpacaData) -> None:
    q = await market.quote("MSFT")
    assert (q.bid, q.ask, q.last) == (409.99, 410.01, 410.0)
    assert q.ts == FRIDAY_5PM_ET and not q.simulated
    with pytest.raises(UnknownSymbolError):
        await market.quote("ZZZZ")  # the fake answers null for it
    before = len(fake.requests)
    with pytest.raises(UnknownSymbolError):
        await market.quote("bad$sym")  # refused before any request
    assert len(fake.requests) == before


async def test_intraday_bars_of_today(
    market: AlpacaMarketData, fake: FakeAlpacaData, clock: Clock
) -> None:
    bars = await market.intraday_bars("NVDA", minutes=5, limit=10)
    assert len(bars) == 10 and bars.ts[-1] <= clock()
    assert fake.calls("/v2/stocks/bars")[-1].query["timeframe"] == "5Min"
    with pytest.raises(ValueError):
        await market.intraday_bars("NVDA", minutes=90)


async def test_clock_and_session(market: AlpacaMarketData, clock: Clock) -> None:
    assert market.now() == clock()
    assert market.is_open(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert not market.is_open(datetime(2026, 11, 21, 15, 0, tzinfo=UTC))  # a Saturday


async def test_the_fakes_single_symbol_and_latest_quote_endpoints(fake: FakeAlpacaData) -> None:
    auth = {"APCA-API-KEY-ID": fake.key_id, "APCA-API-SECRET-KEY": fake.secret_key}
    async with aiohttp.ClientSession(fake.base_url, headers=auth) as http:

        async def get(path: str, **params: str) -> tuple[int, Any]:
            async with http.get(path, params=params) as r:
                return r.status, await r.json()

        status, body = await get("/v2/stocks/AAPL/bars", timeframe="1Day", limit="2")
        assert status == 200 and body["symbol"] == "AAPL" and len(body["bars"]) == 2
        assert body["next_page_token"] and set(body["bars"][0]) == {*"tohlcvn", "vw"}
        _, nxt = await get(
            "/v2/stocks/AAPL/bars", timeframe="1Day", limit="2", page_token=body["next_page_token"]
        )
        assert nxt["bars"][0]["t"] > body["bars"][-1]["t"]
        status, body = await get("/v2/stocks/quotes/latest", symbols="AAPL,ZZZZ")
        assert status == 200 and list(body["quotes"]) == ["AAPL"]
        assert {"ap", "as", "bp", "bs", "t"} <= set(body["quotes"]["AAPL"])
        status, body = await get("/v2/stocks/MSFT/quotes/latest")
        assert status == 200 and body["symbol"] == "MSFT" and body["quote"]["bp"] == 409.99
        status, body = await get("/v2/stocks/SPY/snapshot")
        assert status == 200 and body["latestTrade"]["p"] == 560.0 and "prevDailyBar" in body
        assert (await get("/v2/stocks/ZZZZ/snapshot"))[0] == 404
        status, body = await get("/v2/stocks/bars", symbols="AAPL", timeframe="7Parsecs")
        assert status == 400 and body["message"].startswith("invalid timeframe")
        assert (await get("/v2/stocks/bars", symbols="A$B", timeframe="1Day"))[0] == 400
    async with aiohttp.ClientSession(fake.base_url) as anon, anon.get("/v2/stocks/snapshots") as r:
        assert r.status == 401 and fake.requests[-1].fault == "auth"


# ---------------------------------------------------------------- retries and errors


async def test_429_waits_for_retry_after_once_no_sdk_double_retry(
    market: AlpacaMarketData, fake: FakeAlpacaData, virtual: Virtual
) -> None:
    fake.fail_next("/v2/stocks/snapshots", 429, retry_after=7)
    assert (await market.quote("AAPL")).last == 190.0
    assert virtual.sleeps == [7.0]
    assert [r.status for r in fake.calls("/v2/stocks/snapshots")] == [429, 200]


async def test_429_uses_x_ratelimit_reset_and_pauses_the_shared_limiter(
    market: AlpacaMarketData, fake: FakeAlpacaData, virtual: Virtual
) -> None:
    fake.fail_next("/v2/stocks/snapshots", 429, reset_in=12)
    await market.quote("AAPL")
    assert len(virtual.sleeps) == 1 and 11.0 < virtual.sleeps[0] <= 13.0
    # every other caller is held back too: the limiter was paused for the same span
    limiter = RateLimiter(clock=virtual.now)
    limiter.pause(virtual.sleeps[0])
    assert limiter.reserve() == pytest.approx(virtual.sleeps[0])


async def test_5xx_backs_off_exponentially_then_succeeds(
    market: AlpacaMarketData, fake: FakeAlpacaData, virtual: Virtual
) -> None:
    fake.fail_next("/v2/stocks/bars", 502, times=2)
    assert len(await market.daily_bars("SPY", limit=50)) == 50
    assert len(virtual.sleeps) == 2 and virtual.sleeps[1] > virtual.sleeps[0] >= 0.5


async def test_gives_up_after_the_policy_attempts_exactly(
    market: AlpacaMarketData, fake: FakeAlpacaData, virtual: Virtual
) -> None:
    fake.fail_next("/v2/stocks/snapshots", 504, times=10)  # alpaca-py alone retries 504
    with pytest.raises(BrokerError, match=r"HTTP 504.*after 4 attempts"):
        await market.quote("AAPL")
    assert len(fake.calls("/v2/stocks/snapshots")) == 4 and len(virtual.sleeps) == 3


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_4xx_is_not_retried(
    market: AlpacaMarketData, fake: FakeAlpacaData, virtual: Virtual, status: int
) -> None:
    fake.fail_next("/v2/stocks/snapshots", status, body={"message": "invalid symbol: AAPL"})
    with pytest.raises(UnknownSymbolError):
        await market.quote("AAPL")
    fake.fail_next("/v2/stocks/bars", status, body={"message": "invalid timeframe"})
    with pytest.raises(BrokerError, match=f"HTTP {status}: invalid timeframe"):
        await market.daily_bars_since(["AAPL", "MSFT"], FRIDAY_5PM_ET - timedelta(days=9))
    assert len(fake.requests) == 2 and virtual.sleeps == []


async def test_a_hang_times_out_and_is_retried(
    fake: FakeAlpacaData, clock: Clock, virtual: Virtual
) -> None:
    m = make_market(fake, clock, virtual, timeout=0.3)
    fake.hang_next("/v2/stocks/snapshots", seconds=10)
    try:
        assert (await m.quote("NVDA")).last == 130.0
    finally:
        fake.release()
        m.close()
    assert len(virtual.sleeps) == 1
    assert [r.fault for r in fake.calls("/v2/stocks/snapshots")] == ["hang", ""]


async def test_a_malformed_reply_is_a_clear_error(
    market: AlpacaMarketData, fake: FakeAlpacaData, virtual: Virtual
) -> None:
    fake.malformed_next("/v2/stocks/snapshots")
    with pytest.raises(BrokerError, match="malformed reply"):
        await market.quote("AAPL")
    fake.malformed_next("/v2/stocks/bars", raw='{"bars": {"AAPL": [{"t": "x"}]}}')
    with pytest.raises(BrokerError, match="malformed reply"):
        await market.daily_bars("AAPL", 10)
    assert virtual.sleeps == []


async def test_feed_is_configurable(fake: FakeAlpacaData, clock: Clock, virtual: Virtual) -> None:
    m = make_market(fake, clock, virtual, feed="sip")
    fake.allowed_feeds = {"iex"}
    try:
        with pytest.raises(BrokerError, match=r"HTTP 403.*feed \(sip\)"):
            await m.quote("AAPL")
    finally:
        m.close()
    assert fake.requests[-1].query["feed"] == "sip"
    with pytest.raises(BrokerError, match="unknown Alpaca feed"):
        make_market(fake, clock, virtual, feed="nasdaq")


async def test_secrets_never_leave_in_errors_logs_or_records(
    fake: FakeAlpacaData, clock: Clock, virtual: Virtual
) -> None:
    sink = io.StringIO()
    handle = logger.add(sink, level="DEBUG")
    wrong = "wrong-secret-value-123456"
    m = make_market(fake, clock, virtual, secret=wrong)
    good = make_market(fake, clock, virtual)
    try:
        with pytest.raises(BrokerError) as refused:
            await m.quote("AAPL")
        fake.fail_next("/v2/stocks/snapshots", 503, times=2)
        await good.quote("AAPL")
    finally:
        logger.remove(handle)
        m.close()
        good.close()
    assert "HTTP 403" in str(refused.value) and "APCA_API_SECRET_KEY" in str(refused.value)
    shown = " ".join([str(refused.value), sink.getvalue(), repr(m), repr(fake.requests)])
    assert "retry 1" in sink.getvalue()
    for secret in (wrong, fake.secret_key, fake.key_id):
        assert secret not in shown
    assert {r.headers["APCA-API-SECRET-KEY"] for r in fake.requests} == {"***"}


async def test_missing_keys_are_refused_up_front() -> None:
    with pytest.raises(BrokerError, match="APCA_API_KEY_ID"):
        AlpacaMarketData("", "x")


# ---------------------------------------------------------------- the rate limiter


def test_limiter_never_exceeds_200_in_any_minute() -> None:
    t = [0.0]
    lim = RateLimiter(per_minute=190, burst=10, clock=lambda: t[0])
    grants = []
    for i in range(1000):
        t[0] = i * 0.05  # callers arrive far faster than allowed (20/s)
        grants.append(t[0] + lim.reserve())
    grants.sort()
    j = 0
    for i, g in enumerate(grants):
        while grants[j] <= g - 60:
            j += 1
        assert i - j + 1 <= 200, f"{i - j + 1} requests within a minute"
    assert grants[-1] == pytest.approx((1000 - 10) * 60 / 190, rel=1e-6)


def test_limiter_bursts_then_spaces_and_pauses_everyone() -> None:
    t = [0.0]
    lim = RateLimiter(per_minute=60, burst=3, clock=lambda: t[0])
    assert [lim.reserve() for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]
    t[0] = 100.0
    lim.pause(5)
    waits = [lim.reserve() for _ in range(4)]
    assert waits[0] == 5.0 and waits == sorted(waits) and waits[-1] <= 8.0


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "3"}, now) == 3.0
    date_hdr = {"Retry-After": "Fri, 20 Nov 2026 22:00:09 GMT"}
    assert retry_after_seconds(date_hdr, now) == 9.0
    assert retry_after_seconds({"X-RateLimit-Reset": str(int(now.timestamp()) + 4)}, now) == 4.0
    assert retry_after_seconds({"X-RateLimit-Reset": "soon"}, now) is None
    assert retry_after_seconds({}, now) is None
