"""Tests for the scanner (services/scanner.py) and strategies (services/strategies.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import ScannerConfig, StrategyConfig
from models.domain import Quote, ScanResult, Side
from services.indicators import atr, bars_since_cross, sma
from services.scanner import SymbolData, rank, scan_symbol, score_components
from services.strategies import SMA_TREND, manual_idea, sma_trend_idea

TS = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
SCAN = ScannerConfig()
STRAT = StrategyConfig()
MAX_POINTS = {"trend": 30, "momentum": 25, "volume": 15, "volatility": 15, "liquidity": 15}


def quote(symbol: str, last: float, half_spread: float = 0.01) -> Quote:
    """A quote with bid/ask `half_spread` either side of the last price (to the cent)."""
    bid, ask = round(last - half_spread, 2), round(last + half_spread, 2)
    return Quote(symbol=symbol, bid=bid, ask=ask, last=last, ts=TS)


def series(
    close: np.ndarray,
    symbol: str = "TEST",
    volume: float | np.ndarray = 1_000_000.0,
    rng: float = 1.0,
    q: Quote | None = None,
) -> SymbolData:
    """Bars with high/low `rng` either side of the close (true range 2*rng on a smooth trend)."""
    close = np.asarray(close, dtype=float)
    vol = np.full(close.shape, float(volume)) if np.isscalar(volume) else np.asarray(volume)
    return SymbolData(
        symbol=symbol,
        open=close - rng / 4,
        high=close + rng,
        low=close - rng,
        close=close,
        volume=vol.astype(float),
        quote=q or quote(symbol, round(float(close[-1]), 2)),
    )


def uptrend(n: int = 120, **kw: object) -> SymbolData:
    return series(50 + 0.5 * np.arange(n), **kw)  # type: ignore[arg-type]


def downtrend(n: int = 120, **kw: object) -> SymbolData:
    return series(200 - 0.5 * np.arange(n), **kw)  # type: ignore[arg-type]


def flat(n: int = 120, price: float = 100.0, **kw: object) -> SymbolData:
    return series(np.full(n, price), **kw)  # type: ignore[arg-type]


def comps(d: SymbolData) -> dict[str, float]:
    return {c.name: c.points for c in score_components(d, STRAT)}


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


def _r(symbol: str, score: float, passed: bool = True) -> ScanResult:
    return ScanResult(symbol=symbol, passed=passed, score=score)


RESULTS = [
    _r("B", 60),
    _r("C", 45),
    _r("D", 90, passed=False),
    _r("E", 80),
    _r("F", 70),
    _r("A", 80),
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
    assert rank([_r("D", 99, passed=False)], ScannerConfig(min_score=0)) == []


def test_rank_real_scans() -> None:
    scans = [scan_symbol(d, SCAN, STRAT) for d in (uptrend(symbol="UP"), flat(symbol="FLAT"))]
    scans.append(scan_symbol(uptrend(30, symbol="SHORT"), SCAN, STRAT))
    out = rank(scans, ScannerConfig(top_n=5, min_score=0))
    assert [r.symbol for r in out] == ["UP", "FLAT"]


# ----------------------------------------------------------------------------- sma_trend_idea


def test_uptrend_gives_a_buy() -> None:
    d = uptrend()
    idea = sma_trend_idea(d, STRAT)
    assert idea is not None
    assert idea.side is Side.BUY
    assert idea.strategy == SMA_TREND
    assert idea.entry == d.quote.ask
    assert idea.stop < idea.entry < idea.target
    assert idea.stop == pytest.approx(d.quote.ask - 2.0 * 2.0)
    assert idea.target == pytest.approx(d.quote.ask + 3.0 * 2.0)
    assert idea.facts["atr14"] == pytest.approx(2.0)
    assert idea.facts["sma20"] < idea.facts["last"]
    assert idea.facts["sma50"] < idea.facts["sma20"]
    assert "above SMA20" in idea.summary


def test_downtrend_gives_a_sell() -> None:
    d = downtrend()
    idea = sma_trend_idea(d, STRAT)
    assert idea is not None
    assert idea.side is Side.SELL
    assert idea.entry == d.quote.bid
    assert idea.target < idea.entry < idea.stop
    assert idea.stop == pytest.approx(d.quote.bid + 4.0)
    assert "below SMA20" in idea.summary


def test_downtrend_gives_nothing_when_shorting_disabled() -> None:
    assert sma_trend_idea(downtrend(), STRAT, allow_short=False) is None
    assert sma_trend_idea(uptrend(), STRAT, allow_short=False) is not None


def test_flat_gives_nothing() -> None:
    assert sma_trend_idea(flat(), STRAT) is None


def test_too_short_history_gives_nothing() -> None:
    assert sma_trend_idea(uptrend(STRAT.slow + 1), STRAT) is None
    assert sma_trend_idea(uptrend(STRAT.slow + 2), STRAT) is not None


def test_quote_below_fast_sma_vetoes_the_buy() -> None:
    d = uptrend()
    fast = float(sma(d.close, STRAT.fast)[-1])
    q = quote("TEST", round(fast - 1, 2))
    assert sma_trend_idea(series(d.close, q=q), STRAT) is None


def test_stop_below_zero_gives_nothing() -> None:
    # a cheap uptrend with a huge range: two ATRs below entry is under $0
    d = series(1.0 + 0.01 * np.arange(120), rng=2.0)
    assert sma_trend_idea(d, STRAT) is None


def test_confidence_grows_with_score() -> None:
    d = uptrend()
    assert bars_since_cross(sma(d.close, 20), sma(d.close, 50)) is None
    assert sma_trend_idea(d, STRAT).confidence == pytest.approx(0.6)  # type: ignore[union-attr]
    high = sma_trend_idea(d, STRAT, _r("TEST", 80))
    assert high is not None
    assert high.confidence == pytest.approx(0.75)
    assert high.score == 80
    assert sma_trend_idea(d, STRAT, _r("TEST", 100)).confidence == pytest.approx(0.85)  # type: ignore[union-attr]


def _v_shape(up_bars: int) -> SymbolData:
    return series(
        np.concatenate([np.linspace(150, 100, 80), 100 + 2.0 * np.arange(1, up_bars + 1)])
    )


def test_confidence_bonus_for_a_fresh_cross() -> None:
    fresh, stale = _v_shape(24), _v_shape(40)
    assert bars_since_cross(sma(fresh.close, 20), sma(fresh.close, 50)) == 8
    assert bars_since_cross(sma(stale.close, 20), sma(stale.close, 50)) == 24
    a, b = sma_trend_idea(fresh, STRAT), sma_trend_idea(stale, STRAT)
    assert a is not None
    assert b is not None
    assert a.confidence == pytest.approx(0.7)
    assert b.confidence == pytest.approx(0.6)
    assert "crossed 8 bars ago" in a.summary


@settings(max_examples=100, deadline=None)
@given(
    stop_atr=st.floats(0.5, 5.0),
    target_atr=st.floats(0.5, 10.0),
    slope=st.floats(0.1, 2.0),
    rng=st.floats(0.2, 3.0),
    up=st.booleans(),
)
def test_reward_risk_is_target_atr_over_stop_atr(
    stop_atr: float, target_atr: float, slope: float, rng: float, up: bool
) -> None:
    cfg = StrategyConfig(stop_atr=stop_atr, target_atr=target_atr)
    n = 120
    close = 500 + (1 if up else -1) * slope * np.arange(n)
    d = series(close, rng=rng)
    idea = sma_trend_idea(d, cfg)
    assert idea is not None
    assert idea.side is (Side.BUY if up else Side.SELL)
    a = float(atr(d.high, d.low, d.close, cfg.atr_period)[-1])
    # entry, stop and target are each rounded to cents: allow exactly that, nothing more
    lo = (target_atr * a - 0.01) / (stop_atr * a + 0.01)
    hi = (target_atr * a + 0.01) / (stop_atr * a - 0.01)
    assert lo - 1e-12 <= idea.reward_risk <= hi + 1e-12


def test_reward_risk_exact_with_default_config() -> None:
    idea = sma_trend_idea(uptrend(), STRAT)
    assert idea is not None
    assert idea.reward_risk == pytest.approx(STRAT.target_atr / STRAT.stop_atr)
    assert idea.risk_per_share == pytest.approx(4.0)


# ----------------------------------------------------------------------------- manual_idea


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_manual_idea_either_side_on_flat(side: Side) -> None:
    d = flat()
    idea = manual_idea(d, side, STRAT)
    assert idea is not None
    assert idea.side is side
    assert idea.strategy == "manual"
    assert idea.confidence == 0.5
    assert idea.score == 0.0
    assert idea.entry == d.quote.price_for(side)
    assert idea.stop == pytest.approx(idea.entry - side.sign * 4.0)
    assert idea.target == pytest.approx(idea.entry + side.sign * 6.0)
    if side is Side.BUY:
        assert idea.stop < idea.entry < idea.target
    else:
        assert idea.target < idea.entry < idea.stop
    assert idea.reward_risk == pytest.approx(1.5)
    assert f"your {side.value} idea" in idea.summary


def test_manual_idea_against_the_trend_is_allowed() -> None:
    idea = manual_idea(uptrend(), Side.SELL, STRAT, _r("TEST", 42))
    assert idea is not None
    assert idea.side is Side.SELL
    assert idea.score == 42


def test_manual_idea_stop_below_zero_gives_nothing() -> None:
    d = flat(price=3.0, q=Quote(symbol="TEST", bid=3.0, ask=3.0, last=3.0, ts=TS))
    assert manual_idea(d, Side.BUY, STRAT) is None  # 3 - 2 * 2 < 0
    assert manual_idea(d, Side.SELL, STRAT) is not None


def test_manual_idea_without_enough_bars_for_atr_gives_nothing() -> None:
    assert manual_idea(flat(10), Side.BUY, STRAT) is None
