"""Tests for the deterministic market simulator (brokers/sim/market.py)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.base import MarketData, UnknownSymbolError
from brokers.sim.market import SESSION_MINUTES, SimMarket, session_position
from brokers.sim.universe import DEFAULT_UNIVERSE

NY = ZoneInfo("America/New_York")
SYMBOLS = [s.symbol for s in DEFAULT_UNIVERSE]


def et(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware UTC datetime from New York wall-clock fields."""
    return datetime(y, mo, d, h, mi, s, tzinfo=NY).astimezone(UTC)


class Clock:
    """A settable real-time clock."""

    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


WED_NOON = et(2024, 3, 13, 12, 0)


def market(t: datetime = WED_NOON, seed: int = 42) -> tuple[SimMarket, Clock]:
    clock = Clock(t)
    return SimMarket(seed=seed, clock=clock), clock


def cents(x: float) -> bool:
    return abs(x * 100 - round(x * 100)) < 1e-6


def trend_counts(closes_by_symbol: dict[str, np.ndarray]) -> tuple[list[str], list[str]]:
    up, down = [], []
    for sym, c in closes_by_symbol.items():
        sma20, sma50, last = c[-20:].mean(), c[-50:].mean(), c[-1]
        if sma20 > sma50 and last > sma20:
            up.append(sym)
        elif sma20 < sma50 and last < sma20:
            down.append(sym)
    return up, down


# ----------------------------------------------------------------------------- basics


def test_protocol_and_flags() -> None:
    m, _ = market()
    assert isinstance(m, MarketData)
    assert m.name == "sim" and m.simulated is True
    assert m.is_open() and m.is_open(datetime(2024, 3, 16, 3, 0, tzinfo=UTC))


def test_universe_and_instruments() -> None:
    m, _ = market()
    instruments = m.universe()
    assert len(instruments) >= 30
    assert len({i.symbol for i in instruments}) == len(instruments)
    etfs = {i.symbol for i in instruments if i.is_etf}
    assert {"SPY", "QQQ", "IWM", "DIA", "GLD", "TLT"} <= etfs
    assert all(i.sector == "ETF" for i in instruments if i.is_etf)
    assert all(i.sector != "ETF" for i in instruments if not i.is_etf)
    assert m.instrument("aapl").name == "Apple Inc."
    assert m.has("msft") and not m.has("ZZZZ")
    with pytest.raises(UnknownSymbolError):
        m.instrument("ZZZZ")


async def test_unknown_symbols_raise_or_are_left_out() -> None:
    m, _ = market()
    with pytest.raises(UnknownSymbolError):
        await m.quote("ZZZZ")
    with pytest.raises(UnknownSymbolError):
        await m.daily_bars("ZZZZ")
    with pytest.raises(UnknownSymbolError):
        await m.intraday_bars("ZZZZ")
    with pytest.raises(UnknownSymbolError):
        m.shock("ZZZZ", 5)
    got = await m.quotes(["AAPL", "zzzz", "msft"])
    assert set(got) == {"AAPL", "MSFT"}
    assert got["MSFT"].symbol == "MSFT"


# ----------------------------------------------------------------------------- daily history


async def test_deterministic_for_same_seed_and_clock() -> None:
    a, _ = market()
    b, _ = market()
    assert await a.daily_bars("NVDA", 756) == await b.daily_bars("NVDA", 756)
    assert await a.quotes(SYMBOLS) == await b.quotes(SYMBOLS)
    assert await a.intraday_bars("NVDA") == await b.intraday_bars("NVDA")


async def test_different_seed_differs() -> None:
    a, _ = market(seed=42)
    b, _ = market(seed=43)
    ca = (await a.daily_bars("AAPL", 300)).close
    cb = (await b.daily_bars("AAPL", 300)).close
    assert ca != cb
    assert (await a.quote("AAPL")).last != (await b.quote("AAPL")).last


async def test_values_do_not_depend_on_the_date() -> None:
    a, _ = market(et(2024, 3, 13, 12, 0))
    b, _ = market(et(2026, 7, 1, 9, 0))
    bars_a, bars_b = await a.daily_bars("TSLA"), await b.daily_bars("TSLA")
    assert bars_a.close == bars_b.close and bars_a.volume == bars_b.volume
    assert bars_a.ts != bars_b.ts


async def test_ohlc_consistent_and_positive_over_whole_history() -> None:
    m, _ = market()
    for sym in SYMBOLS:
        b = await m.daily_bars(sym, 10_000)
        assert len(b) == m.history_days == 756
        o, h, lo, c, v = (np.array(x) for x in (b.open, b.high, b.low, b.close, b.volume))
        assert (lo > 0).all() and (v > 0).all()
        assert (h >= np.maximum(o, c)).all(), sym
        assert (lo <= np.minimum(o, c)).all(), sym
        assert all(cents(x) for x in b.close[-50:])
        assert (o != np.roll(c, 1))[1:].mean() > 0.9  # overnight gaps exist


async def test_daily_timestamps_are_weekdays_before_the_sim_date() -> None:
    m, _ = market(et(2024, 3, 16, 12, 0))  # a Saturday: sim date is Friday 15 March
    b = await m.daily_bars("SPY", 300)
    days = [t.astimezone(NY) for t in b.ts]
    assert len(days) == 300
    assert days[-1].date() == date(2024, 3, 14)
    assert all(d.weekday() < 5 and d.time() == time(16, 0) for d in days)
    assert all(x < y for x, y in zip(b.ts, b.ts[1:], strict=False))


@pytest.mark.parametrize("symbol", ["AAPL", "TSLA", "KO", "SPY", "NVDA"])
async def test_annualised_volatility_matches_spec(symbol: str) -> None:
    m, _ = market()
    spec = next(s for s in DEFAULT_UNIVERSE if s.symbol == symbol)
    closes = np.array((await m.daily_bars(symbol, 756)).close)
    realised = np.diff(np.log(closes)).std() * math.sqrt(252)
    assert 0.75 * spec.vol < realised < 1.35 * spec.vol


async def test_stocks_are_correlated_with_spy_and_volume_rises_on_big_moves() -> None:
    m, _ = market()
    spy = np.diff(np.log((await m.daily_bars("SPY", 756)).close))
    bars = await m.daily_bars("MSFT", 756)
    msft = np.diff(np.log(bars.close))
    assert np.corrcoef(spy, msft)[0, 1] > 0.4
    vol = np.array(bars.volume[1:])
    big = np.abs(msft) > np.quantile(np.abs(msft), 0.9)
    assert vol[big].mean() > 1.3 * vol[~big].mean()


async def test_trend_acceptance_property_for_default_seed() -> None:
    m = SimMarket()  # the default seed and universe; values do not depend on the date
    closes = {s: np.array((await m.daily_bars(s, 60)).close) for s in SYMBOLS}
    up, down = trend_counts(closes)
    assert len(up) >= 5, up
    assert len(down) >= 3, down


# ----------------------------------------------------------------------------- clock


@pytest.mark.parametrize(
    ("real", "sim_day", "sim_clock"),
    [
        (et(2024, 3, 13, 3, 0), date(2024, 3, 13), time(10, 18, 45)),
        (et(2024, 3, 13, 12, 0), date(2024, 3, 13), time(12, 45)),
        (et(2024, 3, 13, 23, 59), date(2024, 3, 13), time(15, 59, 43, 750000)),
        (et(2024, 3, 16, 12, 0), date(2024, 3, 15), time(12, 45)),  # Saturday
        (et(2024, 3, 17, 0, 0), date(2024, 3, 15), time(9, 30)),  # Sunday midnight
        (et(2024, 11, 4, 12, 0), date(2024, 11, 4), time(12, 45)),  # EST (winter)
    ],
)
def test_clock_maps_real_time_into_the_open_session(
    real: datetime, sim_day: date, sim_clock: time
) -> None:
    m, _ = market(real)
    sim = m.now().astimezone(NY)
    assert m.now().tzinfo is not None and m.now().utcoffset() == timedelta(0)
    assert sim.date() == sim_day == m.sim_date()
    got = datetime.combine(sim_day, sim.time())
    want = datetime.combine(sim_day, sim_clock)
    assert abs((got - want).total_seconds()) < 0.01
    assert 0 <= m.session_minute() < SESSION_MINUTES
    assert m.is_open()


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_any_real_time_maps_into_a_weekday_session(real: datetime) -> None:
    real = real.replace(tzinfo=UTC)
    m = SimMarket(clock=lambda: real)
    sim = m.now().astimezone(NY)
    assert sim.weekday() < 5
    assert time(9, 30) <= sim.time() < time(16, 0)
    real_day = real.astimezone(NY).date()
    assert 0 <= (real_day - sim.date()).days <= 2
    day, minute = session_position(real)
    assert day == sim.date() and 0 <= minute < SESSION_MINUTES


# ----------------------------------------------------------------------------- quotes


async def test_quotes_are_well_formed() -> None:
    m, _ = market()
    got = await m.quotes(SYMBOLS)
    assert set(got) == set(SYMBOLS)
    for q in got.values():
        assert q.simulated and q.ts == m.now()
        assert 0 < q.bid < q.ask
        assert q.ask - q.bid >= 0.01 - 1e-9
        assert q.bid <= q.last <= q.ask
        assert all(cents(x) for x in (q.bid, q.ask, q.last))
        for size in (q.bid_size, q.ask_size):
            assert 100 <= size <= 3000 and size % 100 == 0
    # spreads follow the spec: wider in bps for PFE than for SPY
    assert got["PFE"].spread_pct > got["SPY"].spread_pct


async def test_restart_gives_the_same_quote_at_the_same_real_time() -> None:
    t = et(2024, 3, 13, 14, 7, 31)
    first, _ = market(t)
    warm = await first.quote("AMD")
    second, _ = market(t)
    assert await second.quote("AMD") == warm


async def test_quotes_move_continuously_and_do_move() -> None:
    m, clock = market(et(2024, 3, 13, 10, 0))
    before = await m.quotes(SYMBOLS)
    clock.t += timedelta(seconds=1)
    after = await m.quotes(SYMBOLS)
    for s in SYMBOLS:
        assert abs(after[s].last - before[s].last) / before[s].last < 0.002
    clock.t += timedelta(hours=2)
    later = await m.quotes(SYMBOLS)
    assert sum(later[s].last != before[s].last for s in SYMBOLS) >= len(SYMBOLS) // 2
    # across a tape point (sim minute 100) prices interpolate instead of stepping
    boundary = et(2024, 3, 13) + timedelta(seconds=100 * 86_400 / SESSION_MINUTES)
    clock.t = boundary - timedelta(seconds=0.5)
    before = await m.quotes(SYMBOLS)
    clock.t = boundary + timedelta(seconds=0.5)
    after = await m.quotes(SYMBOLS)
    assert max(abs(after[s].last - before[s].last) for s in SYMBOLS) <= 0.02 + 1e-9


async def test_todays_tape_starts_near_the_last_daily_close() -> None:
    m, _ = market(et(2024, 3, 13, 6, 0))
    for sym in ("AAPL", "TSLA", "SPY"):
        last_close = (await m.daily_bars(sym, 1)).close[-1]
        first = (await m.intraday_bars(sym, 1, 390)).open[0]
        assert first != last_close
        assert abs(first / last_close - 1) < 0.05


async def test_intraday_volatility_and_volume_profile() -> None:
    m, _ = market(et(2024, 3, 13, 23, 59, 59))  # the end of the sim session
    for spec in DEFAULT_UNIVERSE[:10]:
        bars = await m.intraday_bars(spec.symbol, 1, 390)
        assert len(bars) == 390
        path = np.log([bars.open[0], *bars.close])
        day_sd = math.sqrt(np.sum(np.diff(path) ** 2))
        assert 0.3 < day_sd / (spec.vol / math.sqrt(252)) < 3.0, spec.symbol
        vol = np.array(bars.volume)
        assert vol[:30].sum() > 1.5 * vol[180:210].sum()  # U-shaped volume
        assert vol[-30:].sum() > 1.5 * vol[180:210].sum()


# ----------------------------------------------------------------------------- intraday bars


async def test_intraday_aggregation_matches_the_minute_tape() -> None:
    m, _ = market(et(2024, 3, 13, 9, 17, 23))  # sim ~11:58, mid-bar
    minute = m.session_minute()
    ones = await m.intraday_bars("META", 1, 390)
    fives = await m.intraday_bars("META", 5, 78)
    assert len(ones) == math.ceil(minute) and len(fives) == math.ceil(minute / 5)
    assert fives.ts[0] == et(2024, 3, 13, 9, 30)
    assert all(y - x == timedelta(minutes=5) for x, y in zip(fives.ts, fives.ts[1:], strict=False))
    for j in range(len(fives)):
        chunk = slice(5 * j, 5 * j + 5)
        assert fives.open[j] == ones.open[5 * j]
        assert fives.high[j] == max(ones.high[chunk])
        assert fives.low[j] == min(ones.low[chunk])
        assert fives.close[j] == ones.close[chunk][-1]
        assert fives.volume[j] == pytest.approx(sum(ones.volume[chunk]), abs=5)
        assert fives.low[j] <= min(fives.open[j], fives.close[j])
        assert fives.high[j] >= max(fives.open[j], fives.close[j])
    assert fives.close[-1] == (await m.quote("META")).last  # the partial bar ends now
    assert len(await m.intraday_bars("META", 5, 3)) == 3


# ----------------------------------------------------------------------------- shocks


async def test_shock_moves_the_quote_and_todays_tape() -> None:
    m, clock = market(et(2024, 3, 13, 12, 0))
    base = (await m.quote("AAPL")).last
    bars_before = await m.intraday_bars("AAPL", 5)
    m.shock("aapl", -5)
    assert (await m.quote("AAPL")).last == pytest.approx(base * 0.95, abs=0.011)
    assert (await m.intraday_bars("AAPL", 5)).close[-1] == pytest.approx(base * 0.95, abs=0.011)
    m.shock("AAPL", 10)  # cumulative
    assert (await m.quote("AAPL")).last == pytest.approx(base * 0.95 * 1.10, abs=0.011)
    assert (await m.quotes(["MSFT"]))["MSFT"] == await market(clock.t)[0].quote("MSFT")
    clock.t += timedelta(hours=1)
    later = await m.intraday_bars("AAPL", 5)
    n = len(bars_before) - 1  # completed bars before the shock keep their prices
    assert later.close[: n - 1] == bars_before.close[: n - 1]
    unshocked = await market(clock.t)[0].quote("AAPL")
    assert (await m.quote("AAPL")).last == pytest.approx(unshocked.last * 1.045, abs=0.011)
    m.clear_shocks()
    assert await m.quote("AAPL") == unshocked


# ----------------------------------------------------------------------------- speed


def test_synthetic_symbols_are_seeded_and_extend_the_universe() -> None:
    from brokers.sim.universe import DEFAULT_UNIVERSE, synthetic_specs

    a, b = synthetic_specs(70, 42), synthetic_specs(70, 42)
    assert a == b and len(a) == 70 and a[0].symbol == "SYN001"
    assert synthetic_specs(70, 43) != a  # another seed, another market
    m = SimMarket(seed=42, specs=DEFAULT_UNIVERSE + a)
    assert len(m.universe()) == len(DEFAULT_UNIVERSE) + 70
