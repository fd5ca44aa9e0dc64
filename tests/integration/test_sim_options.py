"""The simulator's option chains: listed like a real venue's, quoted from a surface that
follows the symbol's own volatility regime, and read back by our IV solver."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from brokers.base import NoOptionsError, OptionChains, UnknownSymbolError
from brokers.sim.market import SimMarket
from brokers.sim.options import SimOptionChains, listed_expiries
from services.options.chain import price_chain
from services.options.iv_rank import hv_series

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # Thursday, 11:00 ET


@pytest.fixture
def market() -> SimMarket:
    return SimMarket(seed=7, clock=lambda: NOW)


@pytest.fixture
def chains(market: SimMarket) -> SimOptionChains:
    return SimOptionChains(market, rate=0.04)


def test_expiries_are_weekly_and_monthly_fridays_with_holidays_moved() -> None:
    listed = listed_expiries(date(2026, 12, 3))
    assert listed[:5] == [
        date(2026, 12, 4),
        date(2026, 12, 11),
        date(2026, 12, 18),
        date(2026, 12, 24),  # Christmas is a Friday: Thursday's expiry
        date(2026, 12, 31),  # and so is New Year's Day
    ]
    assert date(2027, 3, 25) in listed_expiries(date(2027, 3, 1))  # Good Friday 2027
    assert listed[-1] <= date(2027, 12, 31) and len(listed) >= 16
    assert all(d.weekday() in (3, 4) for d in listed)


async def test_a_chain_is_quoted_like_a_venue(market: SimMarket, chains: SimOptionChains) -> None:
    assert isinstance(chains, OptionChains)
    listed = await chains.option_expiries("AAPL")
    ch = await chains.option_chain("AAPL", listed[:3])
    assert ch.simulated and ch.source == "sim" and ch.dividend == 0.005
    assert ch.expiries() == listed[:3] and len(ch) > 60
    steps = np.diff(np.unique(ch.strike[ch.expiry == np.datetime64(listed[0])]))
    assert set(np.round(steps, 2)) == {2.5}  # AAPL near 190: $2.50 strikes
    two = ch.bid > 0
    assert (ch.ask[two] > ch.bid[two]).all() and (ch.ask >= 0.01).all()
    cents = np.round(ch.ask * 100)
    assert np.allclose(cents, ch.ask * 100)  # whole cents
    big = ch.ask >= 3.05
    assert np.allclose(np.round(ch.ask[big] * 20), ch.ask[big] * 20)  # $0.05 ticks above $3
    assert (ch.open_interest >= 0).all() and (ch.volume >= 0).all()
    assert all(s.startswith("AAPL") and len(s) == 19 for s in ch.symbols)


async def test_our_iv_reads_the_surface_back(market: SimMarket, chains: SimOptionChains) -> None:
    listed = await chains.option_expiries("NVDA")
    ch = await chains.option_chain("NVDA", listed[2:8])
    q = await market.quote("NVDA")
    p = price_chain(ch, (q.bid + q.ask) / 2, market.now(), 0.04, ch.dividend or 0.0)
    # where a tick is small against vega (deep in the money it is not: rounding moves IV)
    liquid = (ch.bid > 0.5) & np.isfinite(p.iv) & (np.abs(p.delta) > 0.1) & (np.abs(p.delta) < 0.9)
    assert liquid.sum() > 50
    err = np.abs(p.iv[liquid] - ch.venue_greeks["iv"][liquid])
    assert np.median(err) < 0.005 and err.max() < 0.03  # only tick rounding between them
    # the equity skew: the 10%-out-of-the-money put is richer than the 10% call
    e = ch.expiry == np.datetime64(listed[5])
    spot = (q.bid + q.ask) / 2
    put = (
        e
        & ~ch.is_call
        & (np.abs(ch.strike - 0.9 * spot) == np.abs(ch.strike - 0.9 * spot)[e & ~ch.is_call].min())
    )
    call = (
        e
        & ch.is_call
        & (np.abs(ch.strike - 1.1 * spot) == np.abs(ch.strike - 1.1 * spot)[e & ch.is_call].min())
    )
    assert ch.venue_greeks["iv"][put][0] > ch.venue_greeks["iv"][call][0]


async def test_the_chain_follows_the_stock(market: SimMarket, chains: SimOptionChains) -> None:
    listed = await chains.option_expiries("TSLA")
    before = await chains.option_chain("TSLA", [listed[3]])
    market.shock("TSLA", 10.0)
    after = await chains.option_chain("TSLA", [listed[3]])
    same = np.isin(after.symbols, before.symbols)
    a = {s: i for i, s in enumerate(after.symbols)}
    idx = [a[s] for s in before.symbols if s in a]
    calls = before.is_call
    mid_b = (before.bid + before.ask) / 2
    mid_a = ((after.bid + after.ask) / 2)[idx]
    assert same.sum() > 20
    assert (mid_a[calls] >= mid_b[calls]).all() and (mid_a[~calls] <= mid_b[~calls]).all()


async def test_deterministic_for_a_seed_and_refusals(market: SimMarket) -> None:
    one, two = SimOptionChains(market), SimOptionChains(SimMarket(seed=7, clock=lambda: NOW))
    e = (await one.option_expiries("KO"))[4]
    a, b = await one.option_chain("KO", [e]), await two.option_chain("KO", [e])
    assert a.symbols == b.symbols and np.array_equal(a.bid, b.bid)
    assert np.array_equal(a.open_interest, b.open_interest)
    with pytest.raises(UnknownSymbolError):
        await one.option_expiries("NOPE")
    with pytest.raises(NoOptionsError):
        await one.option_chain("KO", [date(2031, 1, 17)])


async def test_implied_vol_history_follows_realised_vol(
    market: SimMarket, chains: SimOptionChains
) -> None:
    hist = await chains.iv30_history("TSLA", 252)
    assert len(hist) == 252 and hist[-1][0] < market.sim_date()
    bars = await market.daily_bars("TSLA", 300)
    hv = hv_series(bars.close)[-252:]
    iv = np.array([v for _, v in hist])
    ok = np.isfinite(hv)
    assert np.corrcoef(iv[ok], hv[ok])[0, 1] > 0.5  # realised and implied move together
    assert 0.9 < np.mean(iv) / np.nanmean(hv) < 1.6  # with a premium, not a different world
