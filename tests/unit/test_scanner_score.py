"""The scanner's 0-100 score: each component, its points and its detail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import ScannerConfig
from models.domain import ScanResult
from services import indicators as ind
from services.scanner import (
    Reference,
    SymbolData,
    scan_symbol,
    score_components,
)
from tests.unit.market_fixtures import (
    MAX_POINTS,
    SCAN,
    STRAT,
    comps,
    downtrend,
    flat,
    quote,
    series,
    uptrend,
)

SPY_FLAT = Reference("SPY", 0.0)


def walk(seed: int, n: int = 300, symbol: str = "RW", drift: float = 0.0005) -> SymbolData:
    """A random walk with realistic highs, lows and volume."""
    g = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(g.normal(drift, 0.015, n)))
    high = close * (1 + np.abs(g.normal(0, 0.008, n)))
    low = close * (1 - np.abs(g.normal(0, 0.008, n)))
    vol = g.uniform(1e6, 3e6, n)
    return SymbolData(symbol, close, high, low, close, vol, quote(symbol, round(close[-1], 2)))


def by_name(d: SymbolData, ref: Reference | None = None) -> dict[str, float]:
    return {c.name: c.points for c in score_components(d, STRAT, reference=ref)}


# ----------------------------------------------------------------------------- score


def test_uptrend_score_breakdown() -> None:
    got = {c.name: c for c in score_components(uptrend(), STRAT, reference=SPY_FLAT)}
    assert list(got) == list(MAX_POINTS)
    # SMA20/SMA50 7.7% apart (capped) and ADX 100 on a clean ramp: full marks
    assert got["trend"].points == 25.0
    assert got["trend"].value == pytest.approx((104.75 - 97.25) / 97.25 * 100, abs=1e-4)
    # +10.05% in 20 days is full momentum, but RSI 100 is stretched: halved; the MACD
    # histogram of a straight ramp is flat, so no MACD credit
    assert got["momentum"].points == pytest.approx(20 * 0.7 * 0.5)
    assert "(stretched)" in got["momentum"].detail
    assert got["momentum"].value == pytest.approx((109.5 / 99.5 - 1) * 100, abs=1e-4)
    # +37.7% over 60 days against a flat SPY: capped
    assert got["relative_strength"].points == 15.0
    assert got["relative_strength"].value == pytest.approx((109.5 / 79.5 - 1) * 100, abs=1e-4)
    assert "vs SPY +0.00%" in got["relative_strength"].detail
    # ATR 2 on 109.5 = 1.83%: 15 * (1 - |1.83 - 2.5| / 3)
    atr_pct = 2 / 109.5 * 100
    assert got["volatility"].points == pytest.approx(15 * (1 - abs(atr_pct - 2.5) / 3), abs=0.05)
    assert got["volatility"].value == pytest.approx(atr_pct, abs=1e-4)
    assert got["volume"].points == pytest.approx(10 * 0.5 / 1.5, abs=0.05)  # 1.0x its average
    # $104.75M a day on a log scale from $1M (0) to $1B (15)
    assert got["liquidity"].points == pytest.approx(15 * (np.log10(1.0475e8) - 6) / 3, abs=0.05)
    assert got["liquidity"].value == pytest.approx(1.0475e8)


def test_downtrend_scores_trend_momentum_and_underperformance() -> None:
    d = downtrend()
    p = by_name(d, SPY_FLAT)
    fast, slow = ind.sma(d.close, 20)[-1], ind.sma(d.close, 50)[-1]  # -4.91% apart
    sep = abs(fast - slow) / slow * 100
    assert p["trend"] == pytest.approx(25 * (0.6 * sep / 5 + 0.4), abs=0.05)
    assert p["momentum"] == pytest.approx(20 * 0.7 * (1 - 140.5 / 150.5) * 100 / 10 * 0.5, abs=0.05)
    assert p["relative_strength"] == 15.0  # -17.6% against a flat SPY suits a short
    details = {c.name: c.detail for c in score_components(d, STRAT)}
    assert details["trend"].startswith("down trend")
    assert details["momentum"].startswith("20-day return -6.64%")


def test_trend_points_follow_separation_and_adx() -> None:
    d = walk(7, drift=0.003)
    c = {x.name: x for x in score_components(d, STRAT)}
    fast, slow = ind.sma(d.close, 20)[-1], ind.sma(d.close, 50)[-1]
    adx = ind.adx(d.high, d.low, d.close, 14).adx[-1]
    assert d.close[-1] > fast > slow
    sep = (fast - slow) / slow * 100
    want = 25 * (0.6 * min(1, sep / 5) + 0.4 * min(1, max(0, (adx - 15) / 20)))
    assert c["trend"].points == pytest.approx(want, abs=0.051)
    assert f"ADX {adx:.0f}" in c["trend"].detail


def test_flat_scores_no_trend_momentum_or_relative_strength() -> None:
    p = by_name(flat(), SPY_FLAT)
    assert p["trend"] == p["momentum"] == p["relative_strength"] == 0.0
    details = {c.name: c.detail for c in score_components(flat(), STRAT)}
    assert details["trend"].startswith("no clear trend")


def test_relative_strength_needs_a_reference_and_says_so() -> None:
    c = {x.name: x for x in score_components(uptrend(), STRAT)}["relative_strength"]
    assert c.points == 0.0 and c.value is None
    assert "no market reference" in c.detail
    behind = by_name(uptrend(), Reference("SPY", 50.0))["relative_strength"]
    assert behind == 0.0  # lagging the market does not help a long
    close_call = by_name(uptrend(), Reference("SPY", 35.0))["relative_strength"]
    assert close_call == pytest.approx(15 * ((109.5 / 79.5 - 1) * 100 - 35) / 10, abs=0.05)


def test_momentum_against_the_trend_scores_nothing() -> None:
    # an uptrend, a dip and a recovery: above both SMAs again, but down over 20 days
    close = np.concatenate(
        [50 + 1.0 * np.arange(100), np.linspace(147, 130, 10), np.linspace(132, 148, 10)]
    )
    d = series(close)
    assert close[-1] > ind.sma(close, 20)[-1] > ind.sma(close, 50)[-1]
    assert close[-1] < close[-21]
    p = comps(d)
    assert p["trend"] > 0
    assert p["momentum"] == 0.0


def test_macd_agreement_adds_to_momentum() -> None:
    # a ramp that accelerates: the MACD histogram is positive, RSI 100 still halves it
    close = 50 + 0.01 * np.arange(120) ** 2
    c = {x.name: x for x in score_components(series(close), STRAT)}["momentum"]
    assert ind.macd(close).hist[-1] > 0
    assert c.points == pytest.approx(20 * (0.7 + 0.3) * 0.5)


def test_volume_surge_scores_more() -> None:
    vol = np.full(120, 1_000_000.0)
    vol[-1] = 2_000_000.0
    assert comps(uptrend(volume=vol))["volume"] > comps(uptrend())["volume"]
    vol[-1] = 10_000_000.0
    assert comps(uptrend(volume=vol))["volume"] == MAX_POINTS["volume"]


def test_volatility_fit_peaks_near_two_and_a_half_percent() -> None:
    at_peak = comps(flat(rng=1.25))["volatility"]  # ATR 2.5 on 100 = 2.5%
    quiet = comps(flat(rng=0.1))["volatility"]
    wild = comps(flat(rng=5.0))["volatility"]
    assert at_peak == 15.0
    assert quiet < at_peak
    assert wild == 0.0


def test_liquidity_grows_with_dollar_volume() -> None:
    assert comps(flat(volume=10_000.0))["liquidity"] < comps(flat(volume=10_000_000.0))["liquidity"]
    # $1,000M a day: about full marks
    assert comps(flat(price=100.0, volume=10_000_000.0))["liquidity"] >= 0.9 * 15


def test_zero_volume_scores_zero_volume_and_liquidity() -> None:
    c = {x.name: x for x in score_components(uptrend(volume=0.0), STRAT)}
    assert c["volume"].points == 0.0 and c["volume"].value is None
    assert c["liquidity"].points == 0.0


def _score_is_consistent(r: ScanResult) -> None:
    assert r.passed
    assert r.score == pytest.approx(sum(c.points for c in r.components), abs=0.051)
    assert 0.0 <= r.score <= 100.0
    assert [c.name for c in r.components] == list(MAX_POINTS)
    for c in r.components:
        assert c.max_points == MAX_POINTS[c.name]
        assert 0.0 <= c.points <= c.max_points
        assert c.detail
        assert c.value is None or np.isfinite(c.value)


@pytest.mark.parametrize("make", [uptrend, downtrend, flat])
def test_score_components_sum_to_the_score(make: Callable[[], SymbolData]) -> None:
    _score_is_consistent(scan_symbol(make(), SCAN, STRAT, SPY_FLAT))


PERMISSIVE = ScannerConfig(
    min_price=0, max_price=1e12, min_avg_volume=0, min_dollar_volume=0, max_spread_pct=1e9
)


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(60, 250),
    drift=st.floats(-0.01, 0.01),
    vol=st.floats(0.0, 0.08),
    start=st.floats(1.0, 2_000.0),
    volume_scale=st.floats(0.0, 1e9),
    ref=st.one_of(st.none(), st.floats(-50, 50)),
)
def test_random_series_scores_stay_in_bounds(
    seed: int,
    n: int,
    drift: float,
    vol: float,
    start: float,
    volume_scale: float,
    ref: float | None,
) -> None:
    g = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(g.normal(drift, vol, n)))
    spread = np.abs(g.normal(0, vol + 1e-4, n)) * close
    d = SymbolData(
        symbol="RND",
        open=close,
        high=close + spread,
        low=np.maximum(close - spread, 1e-6),
        close=close,
        volume=g.uniform(0, 1, n) * volume_scale,
        quote=quote("RND", float(close[-1]), 0.0),
    )
    reference = None if ref is None else Reference("REF", ref)
    _score_is_consistent(scan_symbol(d, PERMISSIVE, STRAT, reference))
