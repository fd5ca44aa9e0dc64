"""The scanner: filters with their reasons, the 0-100 score and its parts, ranking."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import ScannerConfig
from models.domain import Quote, ScanResult
from services.indicators import atr, sma
from services.scanner import SymbolData, rank, scan_symbol, score_components
from tests.unit.market_fixtures import (
    MAX_POINTS,
    SCAN,
    STRAT,
    TS,
    comps,
    downtrend,
    flat,
    quote,
    result,
    series,
    uptrend,
)

# ----------------------------------------------------------------------------- SymbolData


def test_symbol_data_from_lists_makes_float_arrays() -> None:
    q = quote("X", 10.0)
    d = SymbolData.from_lists("X", [1, 2], [2, 3], [0, 1], [1, 2], [100, 200], q)
    for arr in (d.open, d.high, d.low, d.close, d.volume):
        assert isinstance(arr, np.ndarray)
        assert arr.dtype == np.float64
    assert d.close.tolist() == [1.0, 2.0]
    assert d.quote is q


def test_fixture_series_shapes() -> None:
    d = uptrend()
    assert float(atr(d.high, d.low, d.close, 14)[-1]) == pytest.approx(2.0)
    assert d.quote.bid < d.quote.last < d.quote.ask


# ----------------------------------------------------------------------------- filters


def test_clean_uptrend_passes_filters() -> None:
    r = scan_symbol(uptrend(), SCAN, STRAT)
    assert r.passed
    assert r.reasons == ()
    assert r.last == pytest.approx(109.5)
    assert len(r.components) == 5


def test_filter_too_short_history_stops_early() -> None:
    d = series(np.full(30, 1.0), volume=10.0)  # also cheap and illiquid: not reported
    r = scan_symbol(d, SCAN, STRAT)
    assert not r.passed
    assert r.reasons == ("only 30 daily bars (needs 60)",)
    assert r.score == 0.0
    assert r.components == ()


@pytest.mark.parametrize(
    ("last", "reason"),
    [(3.0, "price 3.00 outside 5-2000"), (2500.0, "price 2500.00 outside 5-2000")],
)
def test_filter_price_out_of_range(last: float, reason: str) -> None:
    d = flat(q=Quote(symbol="TEST", bid=last, ask=last, last=last, ts=TS))
    r = scan_symbol(d, SCAN, STRAT)
    assert not r.passed
    assert r.reasons == (reason,)
    assert r.last == last


def test_filter_low_volume() -> None:
    r = scan_symbol(uptrend(volume=1_000.0), SCAN, STRAT)
    assert not r.passed
    assert r.reasons == ("20-day avg volume 1,000 < 500,000",)


def test_filter_low_volume_uses_the_last_20_days() -> None:
    vol = np.full(120, 10_000_000.0)
    vol[-20:] = 100_000.0
    assert not scan_symbol(uptrend(volume=vol), SCAN, STRAT).passed
    vol = np.full(120, 100_000.0)
    vol[-20:] = 1_000_000.0
    assert scan_symbol(uptrend(volume=vol), SCAN, STRAT).passed


def test_filter_wide_spread() -> None:
    d = flat(q=Quote(symbol="TEST", bid=99.0, ask=101.0, last=100.0, ts=TS))
    r = scan_symbol(d, SCAN, STRAT)
    assert not r.passed
    assert r.reasons == ("spread 2.00% > 0.5%",)


def test_filters_report_every_failure() -> None:
    d = series(
        np.full(80, 3.0), volume=10.0, q=Quote(symbol="T", bid=2.9, ask=3.1, last=3.0, ts=TS)
    )
    r = scan_symbol(d, SCAN, STRAT)
    assert not r.passed
    assert len(r.reasons) == 3
    assert r.reasons[0].startswith("price 3.00")
    assert r.reasons[1].startswith("20-day avg volume 10 <")
    assert r.reasons[2].startswith("spread 6.67% >")


def test_filters_follow_the_config() -> None:
    cfg = ScannerConfig(min_history=200)
    assert scan_symbol(uptrend(), cfg, STRAT).reasons == ("only 120 daily bars (needs 200)",)
    cfg = ScannerConfig(min_avg_volume=0, max_spread_pct=5)
    assert scan_symbol(uptrend(volume=1.0, q=quote("TEST", 109.5, 1.0)), cfg, STRAT).passed


# ----------------------------------------------------------------------------- score


def test_uptrend_score_breakdown() -> None:
    p = comps(uptrend())
    assert list(p) == list(MAX_POINTS)
    assert p["trend"] == 30.0  # SMA20/SMA50 7.7% apart, capped
    assert p["momentum"] == 25.0  # +10.6% in 20 days, capped
    assert p["volume"] == pytest.approx(5.0)  # volume 1.0x its average
    # ATR 2 on 109.5 = 1.83%: 15 * (1 - |1.83 - 2.5| / 3)
    assert p["volatility"] == pytest.approx(15 * (1 - abs(2 / 109.5 * 100 - 2.5) / 3), abs=0.05)
    # $104.75M a day on a log scale from $1M (0) to $1B (15): 15 * (log10(1.0475e8) - 6) / 3
    assert p["liquidity"] == pytest.approx(15 * (np.log10(1.0475e8) - 6) / 3, abs=0.05)


def test_downtrend_scores_trend_and_momentum_too() -> None:
    d = downtrend()
    p = comps(d)
    fast, slow = sma(d.close, 20)[-1], sma(d.close, 50)[-1]  # 145.25, 152.75: -4.91% apart
    assert p["trend"] == pytest.approx(30 * abs(fast - slow) / slow * 100 / 5, abs=0.05)
    assert p["trend"] > 25
    # -6.64% in 20 days
    assert p["momentum"] == pytest.approx(25 * (1 - 140.5 / 150.5) * 100 / 10, abs=0.05)
    details = {c.name: c.detail for c in score_components(downtrend(), STRAT)}
    assert details["trend"].startswith("down trend")
    assert details["momentum"] == "20-day return -6.64%"


def test_flat_scores_no_trend_or_momentum() -> None:
    p = comps(flat())
    assert p["trend"] == 0.0
    assert p["momentum"] == 0.0
    details = {c.name: c.detail for c in score_components(flat(), STRAT)}
    assert details["trend"].startswith("no clear trend")


def test_momentum_against_the_trend_scores_nothing() -> None:
    # an uptrend, a dip and a recovery: above both SMAs again, but down over 20 days
    close = np.concatenate(
        [50 + 1.0 * np.arange(100), np.linspace(147, 130, 10), np.linspace(132, 148, 10)]
    )
    d = series(close)
    assert close[-1] > sma(close, 20)[-1] > sma(close, 50)[-1]
    assert close[-1] < close[-21]
    p = comps(d)
    assert p["trend"] > 0
    assert p["momentum"] == 0.0


def test_volume_surge_scores_more() -> None:
    vol = np.full(120, 1_000_000.0)
    vol[-1] = 2_000_000.0
    assert comps(uptrend(volume=vol))["volume"] > comps(uptrend())["volume"]
    vol[-1] = 10_000_000.0
    assert comps(uptrend(volume=vol))["volume"] == 15.0


def test_volatility_fit_peaks_near_two_and_a_half_percent() -> None:
    at_peak = comps(flat(rng=1.25))["volatility"]  # ATR 2.5 on 100 = 2.5%
    quiet = comps(flat(rng=0.1))["volatility"]
    wild = comps(flat(rng=5.0))["volatility"]
    assert at_peak == 15.0
    assert quiet < at_peak
    assert wild == 0.0


def test_liquidity_grows_with_dollar_volume() -> None:
    small = comps(flat(volume=10_000.0))["liquidity"]
    large = comps(flat(volume=10_000_000.0))["liquidity"]
    assert small < large


def test_liquidity_about_full_marks_at_one_billion_a_day() -> None:
    # scanner.py documents "$1B/day ~ full marks" for the liquidity component
    d = flat(price=100.0, volume=10_000_000.0)  # $1,000M a day
    assert comps(d)["liquidity"] >= 0.9 * MAX_POINTS["liquidity"]


def test_zero_volume_scores_zero_volume_and_liquidity() -> None:
    p = comps(uptrend(volume=0.0))
    assert p["volume"] == 0.0
    assert p["liquidity"] == 0.0


def _score_is_consistent(r: ScanResult) -> None:
    assert r.passed
    assert r.score == pytest.approx(sum(c.points for c in r.components), abs=0.051)
    assert 0.0 <= r.score <= 100.0
    assert [c.name for c in r.components] == list(MAX_POINTS)
    for c in r.components:
        assert c.max_points == MAX_POINTS[c.name]
        assert 0.0 <= c.points <= c.max_points
        assert c.detail


@pytest.mark.parametrize("make", [uptrend, downtrend, flat])
def test_score_components_sum_to_the_score(make: Callable[[], SymbolData]) -> None:
    _score_is_consistent(scan_symbol(make(), SCAN, STRAT))


PERMISSIVE = ScannerConfig(min_price=0, max_price=1e12, min_avg_volume=0, max_spread_pct=1e9)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(60, 250),
    drift=st.floats(-0.01, 0.01),
    vol=st.floats(0.0, 0.08),
    start=st.floats(1.0, 2_000.0),
    volume_scale=st.floats(0.0, 1e9),
)
def test_random_series_scores_stay_in_bounds(
    seed: int, n: int, drift: float, vol: float, start: float, volume_scale: float
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
    _score_is_consistent(scan_symbol(d, PERMISSIVE, STRAT))


# ----------------------------------------------------------------------------- rank


RESULTS = [
    result("B", 60),
    result("C", 45),
    result("D", 90, passed=False),
    result("E", 80),
    result("F", 70),
    result("A", 80),
]


def test_rank_orders_best_first_and_ties_by_symbol() -> None:
    out = rank(RESULTS, ScannerConfig(top_n=10, min_score=50))
    assert [r.symbol for r in out] == ["A", "E", "F", "B"]


def test_rank_top_n() -> None:
    assert [r.symbol for r in rank(RESULTS, ScannerConfig(top_n=2, min_score=0))] == ["A", "E"]


def test_rank_min_score_is_inclusive_and_failures_never_rank() -> None:
    out = rank(RESULTS, ScannerConfig(top_n=10, min_score=45))
    assert [r.symbol for r in out] == ["A", "E", "F", "B", "C"]
    assert rank(RESULTS, ScannerConfig(top_n=10, min_score=81)) == []
    assert rank([result("D", 99, passed=False)], ScannerConfig(min_score=0)) == []


def test_rank_real_scans() -> None:
    scans = [scan_symbol(d, SCAN, STRAT) for d in (uptrend(symbol="UP"), flat(symbol="FLAT"))]
    scans.append(scan_symbol(uptrend(30, symbol="SHORT"), SCAN, STRAT))
    out = rank(scans, ScannerConfig(top_n=5, min_score=0))
    assert [r.symbol for r in out] == ["UP", "FLAT"]
