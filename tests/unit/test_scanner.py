"""The scanner: data checks and filters with their reasons, the 0-100 score and its parts,
the one-pass universe scan, ranking."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from models.config import ScannerConfig
from models.domain import Bars, Quote, ScanResult, Side
from services import indicators as ind
from services.scanner import (
    WEIGHTS,
    Reference,
    ScanError,
    SymbolData,
    indicator_snapshot,
    rank,
    scan_symbol,
    scan_universe,
    score_components,
    split_ranked,
)
from tests.unit.market_fixtures import (
    MAX_POINTS,
    SCAN,
    STRAT,
    TS,
    downtrend,
    flat,
    quote,
    result,
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


# ----------------------------------------------------------------------------- SymbolData


def test_symbol_data_from_lists_makes_float_arrays() -> None:
    q = quote("X", 10.0)
    d = SymbolData.from_lists("X", [1, 2], [2, 3], [0, 1], [1, 2], [100, 200], q)
    for arr in (d.open, d.high, d.low, d.close, d.volume):
        assert isinstance(arr, np.ndarray)
        assert arr.dtype == np.float64
    assert d.close.tolist() == [1.0, 2.0]
    assert d.quote is q
    assert d.ts is None
    d = SymbolData.from_lists("X", [1], [2], [0], [1], [100], q, ts=[TS])
    assert d.ts == (TS,)


def test_fixture_series_shapes() -> None:
    d = uptrend()
    assert float(ind.atr(d.high, d.low, d.close, 14)[-1]) == pytest.approx(2.0)
    assert d.quote.bid < d.quote.last < d.quote.ask


def test_weights_add_up_to_100() -> None:
    assert sum(WEIGHTS.values()) == 100
    assert WEIGHTS == MAX_POINTS


# ----------------------------------------------------------------------------- data checks


def test_too_short_history_stops_early() -> None:
    d = series(np.full(30, 2.0), volume=10.0)  # also cheap and illiquid: not reported
    r = scan_symbol(d, SCAN, STRAT)
    assert not r.passed
    assert r.reasons == ("only 30 daily bars (needs 60)",)
    assert r.score == 0.0
    assert r.components == ()


def _with(d: SymbolData, **arrays: np.ndarray) -> SymbolData:
    return SymbolData(
        d.symbol,
        arrays.get("open", d.open),
        arrays.get("high", d.high),
        arrays.get("low", d.low),
        arrays.get("close", d.close),
        arrays.get("volume", d.volume),
        d.quote,
        d.ts,
    )


def test_missing_values_are_never_guessed() -> None:
    d = uptrend()
    close = d.close.copy()
    close[50] = np.nan
    vol = d.volume.copy()
    vol[[3, 4]] = np.inf
    r = scan_symbol(_with(d, close=close, volume=vol), SCAN, STRAT)
    assert not r.passed
    assert r.reasons == (
        "bad data: close missing on 1 bar(s)",
        "bad data: volume missing on 2 bar(s)",
    )
    assert r.components == ()


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("low", "bad data: non-positive prices on 1 bar(s)"),
        ("high", "bad data: high below low on 1 bar(s)"),
        ("volume", "bad data: negative volume on 1 bar(s)"),
    ],
)
def test_malformed_bars_are_refused(field: str, reason: str) -> None:
    d = uptrend()
    arr = getattr(d, field).copy()
    arr[10] = {"low": 0.0, "high": d.low[10] - 1, "volume": -5.0}[field]
    assert scan_symbol(_with(d, **{field: arr}), SCAN, STRAT).reasons == (reason,)


def test_ragged_columns_are_refused() -> None:
    d = uptrend()
    r = scan_symbol(_with(d, volume=d.volume[:-1]), SCAN, STRAT)
    assert r.reasons == ("bad data: open/high/low/close/volume differ in length",)


def test_bad_quote_is_refused() -> None:
    d = uptrend(q=Quote(symbol="TEST", bid=0.0, ask=0.0, last=0.0, ts=TS))
    assert scan_symbol(d, SCAN, STRAT).reasons == ("bad quote: last price 0.0",)


def _dated(d: SymbolData, last_bar_days_ago: int) -> SymbolData:
    end = TS - timedelta(days=last_bar_days_ago)
    ts = tuple(end - timedelta(days=len(d.close) - 1 - i) for i in range(len(d.close)))
    return SymbolData(d.symbol, d.open, d.high, d.low, d.close, d.volume, d.quote, ts)


def test_stale_bars_are_refused_when_their_times_are_known() -> None:
    assert scan_symbol(_dated(uptrend(), 3), SCAN, STRAT).passed
    r = scan_symbol(_dated(uptrend(), 9), SCAN, STRAT)
    assert r.reasons == ("stale data: last daily bar 2025-12-27 is 9 days old (max 5)",)
    assert scan_symbol(
        _dated(uptrend(), 9), SCAN.model_copy(update={"max_bar_age_days": 10}), STRAT
    ).passed
    # judged against an explicit as-of time when given
    later = scan_universe([_dated(uptrend(), 3)], SCAN, STRAT, as_of=TS + timedelta(days=7))
    assert later.results[0].reasons[0].startswith("stale data:")


def test_bar_times_must_match_the_bars() -> None:
    d = _dated(uptrend(), 0)
    short = SymbolData(d.symbol, d.open, d.high, d.low, d.close, d.volume, d.quote, d.ts[1:])
    assert scan_symbol(short, SCAN, STRAT).reasons == ("bad data: 119 bar times for 120 bars",)


# ----------------------------------------------------------------------------- filters


def test_clean_uptrend_passes_filters() -> None:
    r = scan_symbol(uptrend(), SCAN, STRAT)
    assert r.passed
    assert r.reasons == ()
    assert r.last == pytest.approx(109.5)
    assert [c.name for c in r.components] == list(MAX_POINTS)


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


def test_filter_low_volume_and_liquidity() -> None:
    r = scan_symbol(uptrend(volume=1_000.0), SCAN, STRAT)
    assert not r.passed
    assert r.reasons == (
        "20-day avg volume 1,000 < 500,000",
        "20-day avg dollar volume $0.10M < $10.00M",
    )


def test_filter_low_dollar_volume_alone() -> None:
    # 600k shares a day clears the share filter, but at $6 that is only $3.6M a day
    d = flat(price=6.0, volume=600_000.0)
    assert scan_symbol(d, SCAN, STRAT).reasons == ("20-day avg dollar volume $3.60M < $10.00M",)
    assert scan_symbol(d, SCAN.model_copy(update={"min_dollar_volume": 3e6}), STRAT).passed


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
    assert len(r.reasons) == 4
    assert r.reasons[0].startswith("price 3.00")
    assert r.reasons[1].startswith("20-day avg volume 10 <")
    assert r.reasons[2].startswith("20-day avg dollar volume $0.00M <")
    assert r.reasons[3].startswith("spread 6.67% >")


def test_filters_follow_the_config() -> None:
    cfg = ScannerConfig(min_history=200)
    assert scan_symbol(uptrend(), cfg, STRAT).reasons == ("only 120 daily bars (needs 200)",)
    cfg = ScannerConfig(min_avg_volume=0, min_dollar_volume=0, max_spread_pct=5)
    assert scan_symbol(uptrend(volume=1.0, q=quote("TEST", 109.5, 1.0)), cfg, STRAT).passed
    cfg = ScannerConfig(volume_window=5, min_avg_volume=2e6)
    assert scan_symbol(uptrend(), cfg, STRAT).reasons == ("5-day avg volume 1,000,000 < 2,000,000",)


def test_too_little_history_for_the_volume_window_is_a_reason_not_a_guess() -> None:
    cfg = ScannerConfig(min_history=10, volume_window=20)
    assert scan_symbol(uptrend(15), cfg, STRAT).reasons == (
        "no 20-day volume average (needs 20 bars)",
    )


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="min_price"):
        ScannerConfig(min_price=50, max_price=10)
    with pytest.raises(ValueError):
        ScannerConfig(top_n=0)
    with pytest.raises(ValueError):
        ScannerConfig(min_dollar_volume=-1)


def test_score_components_refuses_bad_data() -> None:
    d = uptrend()
    close = d.close.copy()
    close[0] = np.nan
    with pytest.raises(ScanError, match="TEST: bad data: close missing"):
        score_components(_with(d, close=close), STRAT)


# ----------------------------------------------------------------------------- at a glance


def test_day_change_is_the_quote_against_the_previous_close() -> None:
    r = scan_symbol(uptrend(q=quote("TEST", 111.69)), SCAN, STRAT)  # last close 109.5
    assert r.change_pct == pytest.approx((111.69 / 109.5 - 1) * 100, abs=1e-4)
    assert r.last == 111.69
    assert scan_symbol(uptrend(), SCAN, STRAT).change_pct == 0.0
    # failing a filter still shows the day's move; unusable bars show none
    cheap = scan_symbol(flat(price=4.0, q=quote("TEST", 4.2)), SCAN, STRAT)
    assert not cheap.passed and cheap.change_pct == pytest.approx(5.0)
    d = uptrend(q=quote("TEST", 111.0))
    close = d.close.copy()
    close[3] = np.nan
    assert scan_symbol(_with(d, close=close), SCAN, STRAT).change_pct is None
    bad_quote = uptrend(q=Quote(symbol="TEST", bid=0.0, ask=0.0, last=0.0, ts=TS))
    assert scan_symbol(bad_quote, SCAN, STRAT).change_pct is None


def test_day_change_after_the_close_uses_the_day_before() -> None:
    # the last daily bar is the quote's own (New York) day: the session is over, so the
    # previous completed close is the one before it
    d = _dated(uptrend(q=quote("TEST", 109.5)), 0)
    r = scan_symbol(d, SCAN, STRAT)
    assert r.change_pct == pytest.approx((109.5 / 109.0 - 1) * 100, abs=1e-4)
    assert scan_symbol(_dated(uptrend(), 1), SCAN, STRAT).change_pct == 0.0


def test_side_is_the_direction_the_score_favours() -> None:
    assert scan_symbol(uptrend(), SCAN, STRAT).side is Side.BUY
    assert scan_symbol(downtrend(), SCAN, STRAT).side is Side.SELL
    assert scan_symbol(flat(), SCAN, STRAT).side is None
    assert scan_symbol(uptrend(volume=1_000.0), SCAN, STRAT).side is None  # filtered out


# ----------------------------------------------------------------------------- universe


def test_universe_scan_equals_symbol_by_symbol() -> None:
    datas = [walk(i, n=150 + 10 * i, symbol=f"S{i}") for i in range(8)]
    datas.append(series(np.full(30, 2.0), symbol="SHORT"))
    uni = scan_universe(datas, SCAN, STRAT, reference=SPY_FLAT)
    assert [r.symbol for r in uni.results] == [d.symbol for d in datas]
    for d, r in zip(datas, uni.results, strict=True):
        assert r == scan_symbol(d, SCAN, STRAT, SPY_FLAT)
    assert uni.results[-1].reasons == ("only 30 daily bars (needs 60)",)
    assert uni.indicators is not None and "SHORT" not in uni.indicators.symbols


def test_universe_reference_is_the_benchmark_when_present() -> None:
    datas = [walk(i, symbol=s) for i, s in enumerate(["AAA", "SPY", "BBB"])]
    uni = scan_universe(datas, SCAN, STRAT)
    spy = datas[1].close
    assert uni.reference is not None and uni.reference.label == "SPY"
    assert uni.reference.return_pct == pytest.approx((spy[-1] / spy[-61] - 1) * 100)


def test_universe_never_measures_against_its_own_symbols() -> None:
    # no benchmark given and none scanned: no reference (never the universe's median), so
    # a symbol's score does not depend on what else was scanned with it
    datas = [walk(i, symbol=f"S{i}") for i in range(8)]
    uni = scan_universe(datas, SCAN, STRAT)
    assert uni.reference is None
    for d, r in zip(datas, uni.results, strict=True):
        assert r == scan_symbol(d, SCAN, STRAT)
        rs = next(c for c in r.components if c.name == "relative_strength")
        assert "no market reference" in rs.detail


def test_universe_of_only_bad_data() -> None:
    uni = scan_universe([series(np.full(10, 50.0))], SCAN, STRAT)
    assert uni.indicators is None and uni.reference is None
    assert not uni.results[0].passed
    assert scan_universe([], SCAN, STRAT).results == ()


def test_universe_refuses_duplicates() -> None:
    with pytest.raises(ScanError, match="twice"):
        scan_universe([uptrend(), uptrend()], SCAN, STRAT)


# ----------------------------------------------------------------------------- snapshot


def test_indicator_snapshot_reads_like_a_chart() -> None:
    d = walk(3)
    snap = indicator_snapshot(d, STRAT)
    assert snap["sma20"] == pytest.approx(ind.sma(d.close, 20)[-1], abs=1e-4)
    assert snap["atr14"] == pytest.approx(ind.atr(d.high, d.low, d.close, 14)[-1], abs=1e-4)
    assert snap["change_20d_pct"] == pytest.approx(ind.pct_change(d.close, 20), abs=1e-4)
    assert snap["high_52w"] == pytest.approx(d.high[-252:].max(), abs=1e-4)
    assert snap["low_52w"] == pytest.approx(d.low[-252:].min(), abs=1e-4)
    assert 0 <= snap["rsi14"] <= 100 and 0 <= snap["range_52w_pct"] <= 100
    assert snap["bb_lower"] < snap["bb_mid"] < snap["bb_upper"]
    assert {"macd", "macd_signal", "macd_hist", "adx14", "ema21", "volume_ratio"} <= set(snap)
    assert all(np.isfinite(v) for v in snap.values())


def test_indicator_snapshot_leaves_out_what_it_cannot_know() -> None:
    short = indicator_snapshot(uptrend(30), STRAT)
    assert "sma50" not in short and "sma200" not in short and "change_60d_pct" not in short
    assert short["sma20"] == pytest.approx(ind.sma(uptrend(30).close, 20)[-1])
    d = uptrend()
    close = d.close.copy()
    close[5] = np.nan
    assert set(indicator_snapshot(_with(d, close=close), STRAT)) == {"last", "bid", "ask"}


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


def test_split_ranked_says_why_the_rest_missed_out() -> None:
    failed = ScanResult(symbol="D", passed=False, reasons=("spread 2.00% > 0.5%",))
    results = [*(r for r in RESULTS if r.symbol != "D"), failed]
    ranked, rest = split_ranked(results, ScannerConfig(top_n=2, min_score=50))
    assert [r.symbol for r in ranked] == ["A", "E"]
    why = {r.symbol: r.reasons for r in rest}
    assert why == {
        "B": ("score 60 ranked #4; only the top 2 shown",),
        "C": ("score 45 below the minimum 50",),
        "F": ("score 70 ranked #3; only the top 2 shown",),
        "D": ("spread 2.00% > 0.5%",),
    }


def test_rank_real_scans() -> None:
    scans = [scan_symbol(d, SCAN, STRAT) for d in (uptrend(symbol="UP"), flat(symbol="FLAT"))]
    scans.append(scan_symbol(uptrend(30, symbol="SHORT"), SCAN, STRAT))
    out = rank(scans, ScannerConfig(top_n=5, min_score=0))
    assert [r.symbol for r in out] == ["UP", "FLAT"]


# ----------------------------------------------------------------------------- the agent


class _FakeData:
    """Stands in for DataAgent.many(): the data it has, and a reason for the rest."""

    def __init__(self, datas: list[SymbolData]) -> None:
        self.datas = {d.symbol: d for d in datas}
        self.asked: list[list[str]] = []
        self.bars_asked: list[str] = []

    async def many(self, symbols: list[str]) -> tuple[list[SymbolData], dict[str, str]]:
        self.asked.append(list(symbols))
        ok = [self.datas[s] for s in symbols if s in self.datas]
        return ok, {s: f"{s}: no daily history" for s in symbols if s not in self.datas}

    async def daily_bars(self, symbol: str) -> Bars:
        from agents.errors import DataUnavailable

        self.bars_asked.append(symbol)
        if symbol not in self.datas:
            raise DataUnavailable(f"{symbol}: no daily history")
        d = self.datas[symbol]
        cols = {k: getattr(d, k).tolist() for k in ("open", "high", "low", "close", "volume")}
        return Bars(symbol=symbol, ts=[TS] * len(d.close), **cols)


async def test_scanner_agent_ranks_explains_and_remembers_the_reference() -> None:
    from agents.scanner import ScannerAgent
    from models.config import StrategyConfig

    datas = [walk(i, symbol=s, drift=0.002 * (i - 2)) for i, s in enumerate("ABCDE")]
    datas.append(walk(9, symbol="SPY"))
    fake = _FakeData(datas)
    agent = ScannerAgent(fake, ScannerConfig(top_n=2, min_score=0), StrategyConfig())  # type: ignore[arg-type]
    ranked, rest, data = await agent.scan(["A", "B", "A", "C", "D", "E", "SPY", "NOPE"])
    assert fake.asked == [["A", "B", "C", "D", "E", "SPY", "NOPE"]]  # asked once each
    assert fake.bars_asked == []  # SPY came with the scan: not fetched a second time
    assert len(ranked) == 2 and set(data) == {*"ABCDE", "SPY"}
    why = {r.symbol: r.reasons for r in rest}
    assert why["NOPE"] == ("data unavailable: NOPE: no daily history",)
    assert all(len(why[s]) == 1 and "only the top 2" in why[s][0] for s in why if s != "NOPE")
    assert agent.reference is not None and agent.reference.label == "SPY"
    # a later single-symbol score measures relative strength against that same reference
    in_scan = next(r for r in (*ranked, *rest) if r.symbol == "A").model_copy(
        update={"reasons": ()}
    )
    assert agent.score(data["A"]) == in_scan
    assert await agent.rate(data["A"]) == in_scan and fake.bars_asked == ["SPY"]


async def test_scanner_agent_fetches_the_benchmark_with_the_scan_when_not_listed() -> None:
    from agents.scanner import ScannerAgent
    from models.config import StrategyConfig

    datas = [walk(i, symbol=s, drift=0.002 * (i - 2)) for i, s in enumerate("ABC")]
    spy = walk(9, symbol="SPY")
    fake = _FakeData([*datas, spy])
    agent = ScannerAgent(fake, ScannerConfig(top_n=5, min_score=0), StrategyConfig())  # type: ignore[arg-type]
    ranked, rest, data = await agent.scan(["A", "B", "C"])
    assert fake.asked == [["A", "B", "C", "SPY"]]  # the benchmark rides in the same batch
    assert fake.bars_asked == []
    assert set(data) == {"A", "B", "C"}  # SPY is the yardstick, not a result
    assert sorted(r.symbol for r in (*ranked, *rest)) == ["A", "B", "C"]
    assert agent.reference == Reference(
        "SPY", pytest.approx((spy.close[-1] / spy.close[-61] - 1) * 100)
    )
    for r in ranked:
        rs = next(c for c in r.components if c.name == "relative_strength")
        assert " vs SPY " in rs.detail
    alone, _, _ = await agent.scan(["B"])
    assert alone[0].score == next(r for r in ranked if r.symbol == "B").score
    # no benchmark data: relative strength says so, every score still its own
    fake.datas.pop("SPY")
    ranked2, rest2, _ = await agent.scan(["A", "B", "C"])
    assert agent.reference is None and "SPY" not in {r.symbol for r in (*ranked2, *rest2)}
    for r in (*ranked2, *rest2):
        rs = next(c for c in r.components if c.name == "relative_strength")
        assert rs.points == 0 and "no market reference" in rs.detail
