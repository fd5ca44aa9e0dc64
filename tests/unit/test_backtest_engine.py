"""The engine's conventions on hand-made bars (fills, sizing, commission, stops, the end),
its errors, and a bar-by-bar reference loop it must agree with on random signals."""

from __future__ import annotations

import math
import sys
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.backtest import (
    OHLCV,
    BacktestConfig,
    BacktestError,
    ConfigError,
    StrategyParamError,
    run_backtest,
)
from services.backtest.runner import backtest, run_universe, sweep, sweep_universe
from tests.unit.test_signals import make_bars, random_bars

OPEN = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
CLOSE = [10.5, 11.5, 12.5, 13.5, 14.5, 15.5]


def bars6(**kw: list[float]):
    return make_bars(CLOSE, open_=kw.get("open", OPEN), high=kw.get("high"), low=kw.get("low"))


def test_signal_at_close_fills_at_next_open_in_whole_units_with_commission_both_sides() -> None:
    r = run_backtest(bars6(), [0, 1, 1, 0, 0, 0], BacktestConfig(cash=1000, commission=0.01))
    (t,) = r.trades
    assert (t.entry_bar, t.exit_bar, t.size) == (2, 4, 82)  # floor(1000 / (12 × 1.01))
    assert (t.entry_price, t.exit_price, t.exit_reason) == (12.0, 14.0, "signal")
    fees = 82 * 12 * 0.01 + 82 * 14 * 0.01
    assert t.commission == pytest.approx(fees)
    assert t.pnl == pytest.approx(82 * 2 - fees)
    assert t.return_pct == pytest.approx((14 / 12 - 1 - fees / (82 * 12)) * 100)
    cash_in = 1000 - 82 * 12 * 0.01
    expected = [1000, 1000, cash_in + 82 * 0.5, cash_in + 82 * 1.5]
    expected += [1000 + t.pnl] * 2
    np.testing.assert_allclose(r.equity, expected)
    assert r.metrics["equity_final"] == pytest.approx(1000 + t.pnl)
    assert r.metrics["trades"] == 1 and r.metrics["exposure_pct"] == pytest.approx(50.0)


def test_short_and_reversal_are_exclusive_orders() -> None:
    r = run_backtest(bars6(), [0, 1, -1, -1, -1, -1], BacktestConfig(cash=1000))
    long_, short = r.trades
    assert (long_.entry_bar, long_.exit_bar, long_.size, long_.exit_price) == (2, 3, 83, 13.0)
    # the long's proceeds fund the short, opened at the same open
    assert short.entry_bar == 3 and short.size == -((1000 + 83) // 13)
    assert short.exit_reason == "end" and short.exit_bar == 5 and short.exit_price == 15.0
    assert short.pnl == pytest.approx(short.size * (15.0 - 13.0))


def test_the_full_equity_size_matches_backtesting_py() -> None:
    cash, price, rate = 10_000.0, 123.45, 0.002
    frac = 1 - sys.float_info.epsilon
    expected = int((cash * 1.0 * frac) // (price + (frac * price * rate) / frac))
    bars = make_bars([price] * 4, open_=[price] * 4)
    r = run_backtest(bars, [1, 1, 1, 1], BacktestConfig(cash=cash, commission=rate))
    assert r.trades[0].size == expected


def test_a_signal_on_the_last_bar_has_no_next_open_and_is_ignored() -> None:
    r = run_backtest(bars6(), [0, 0, 0, 0, 0, 1], BacktestConfig())
    assert r.trades == () and r.open_trade is None
    assert (r.equity == 10_000).all()


def test_open_trades_close_at_the_last_open_or_stay_open() -> None:
    closed = run_backtest(bars6(), [0, 0, 1, 1, 1, 1], BacktestConfig(cash=1000))
    (t,) = closed.trades
    assert (t.exit_bar, t.exit_price, t.exit_reason) == (5, 15.0, "end")
    assert closed.equity[-1] == pytest.approx(1000 + t.pnl)
    kept = run_backtest(bars6(), [0, 0, 1, 1, 1, 1], BacktestConfig(cash=1000, close_at_end=False))
    assert kept.trades == () and kept.metrics["trades"] == 0
    ot = kept.open_trade
    assert ot is not None and ot.exit_bar is None and ot.exit_reason == "open"
    assert ot.pnl == pytest.approx(ot.size * (15.5 - 13.0))
    assert kept.equity[-1] == pytest.approx(1000 + ot.pnl)


def test_stop_fills_at_its_level_or_at_a_gapping_open() -> None:
    low = [9.5, 10.5, 11.5, 10.0, 13.5, 14.5]  # bar 3 trades down through 10.35
    r = run_backtest(bars6(low=low), [0, 1, 1, 1, 1, 1], BacktestConfig(stop_loss=0.1))
    (t,) = r.trades  # stop = 11.5 × 0.9 from the signal bar's close
    assert (t.exit_bar, t.exit_reason) == (3, "stop")
    assert t.exit_price == pytest.approx(11.5 * 0.9)
    gap_open = [10.0, 11.0, 12.0, 9.0, 14.0, 15.0]
    low2 = [9.5, 10.5, 11.5, 8.5, 13.5, 14.5]
    g = run_backtest(
        make_bars(CLOSE, open_=gap_open, low=low2),
        [0, 1, 1, 1, 1, 1],
        BacktestConfig(stop_loss=0.1),
    )
    assert (g.trades[0].exit_bar, g.trades[0].exit_price) == (3, 9.0)  # worse than the stop


def test_target_and_same_bar_stop_priority() -> None:
    high = [10.6, 11.6, 12.6, 14.0, 14.6, 15.6]
    r = run_backtest(bars6(high=high), [0, 1, 1, 1, 1, 1], BacktestConfig(take_profit=0.2))
    assert (r.trades[0].exit_bar, r.trades[0].exit_reason) == (3, "target")
    assert r.trades[0].exit_price == pytest.approx(11.5 * 1.2)
    both = bars6(high=high, low=[9.5, 10.5, 11.5, 10.0, 13.5, 14.5])
    cfg = BacktestConfig(take_profit=0.2, stop_loss=0.1)
    assert run_backtest(both, [0, 1, 1, 1, 1, 1], cfg).trades[0].exit_reason == "stop"


def test_after_a_stop_the_engine_waits_for_the_next_signal_change() -> None:
    low = [9.5, 10.5, 11.5, 10.0, 13.5, 14.5]
    r = run_backtest(bars6(low=low), [0, 1, 1, 1, -1, -1], BacktestConfig(stop_loss=0.1))
    assert [(t.entry_bar, t.exit_reason) for t in r.trades] == [(2, "stop"), (5, "end")]


def test_short_stop_is_above_and_target_below() -> None:
    high = [10.6, 11.6, 12.6, 13.6, 16.0, 15.6]
    r = run_backtest(bars6(high=high), [0, -1, -1, -1, -1, -1], BacktestConfig(stop_loss=0.3))
    assert r.trades[0].exit_reason == "stop" and r.trades[0].exit_price == pytest.approx(14.95)


def test_long_only_turns_shorts_into_exits() -> None:
    r = run_backtest(bars6(), [0, 1, -1, -1, 1, 1], BacktestConfig(allow_short=False))
    assert [(t.entry_bar, t.exit_bar, t.size > 0) for t in r.trades] == [
        (2, 3, True),
        (5, 5, True),
    ]


def test_slippage_moves_both_fills_against_the_trader() -> None:
    r = run_backtest(bars6(), [0, 1, 1, 0, 0, 0], BacktestConfig(cash=1000, slippage=0.01))
    t = r.trades[0]
    assert t.entry_price == pytest.approx(12 * 1.01) and t.exit_price == pytest.approx(14 * 0.99)
    s = run_backtest(bars6(), [0, -1, -1, 0, 0, 0], BacktestConfig(cash=1000, slippage=0.01))
    assert s.trades[0].entry_price == pytest.approx(12 * 0.99)
    assert s.trades[0].exit_price == pytest.approx(14 * 1.01)


def test_sizing_modes() -> None:
    sig = [0, 1, 1, 0, 0, 0]
    half = run_backtest(bars6(), [0, 0.5, 0.5, 0, 0, 0], BacktestConfig(cash=1000))
    assert half.trades[0].size == 41  # half the equity: floor(500 / 12)
    frac = run_backtest(bars6(), sig, BacktestConfig(cash=1000, fraction=0.25))
    assert frac.trades[0].size == 20
    units = run_backtest(bars6(), sig, BacktestConfig(cash=1000, sizing="units", units=7))
    assert units.trades[0].size == 7
    broke = run_backtest(bars6(), sig, BacktestConfig(cash=100, sizing="units", units=9))
    assert broke.trades == ()  # 9 × 12 > 100: the order is cancelled
    risk = BacktestConfig(cash=1000, sizing="risk", fraction=0.01, stop_loss=0.05)
    assert run_backtest(bars6(), sig, risk).trades[0].size == 16  # 10 / (12 × 0.05)
    capped = BacktestConfig(cash=1000, sizing="risk", fraction=1.0, stop_loss=0.01)
    assert run_backtest(bars6(), sig, capped).trades[0].size == 83  # capped by the cash


def test_too_expensive_for_one_unit_means_no_trade() -> None:
    r = run_backtest(bars6(), [0, 1, 1, 1, 1, 1], BacktestConfig(cash=5))
    assert r.trades == () and (r.equity == 5).all()


def test_running_out_of_money_stops_the_run() -> None:
    close = [10.0, 10.0, 10.0, 25.0, 30.0, 31.0]
    bars = make_bars(close, open_=[10.0, 10.0, 10.0, 12.0, 30.0, 31.0])
    r = run_backtest(bars, [0, -1, -1, -1, 1, 1], BacktestConfig(cash=1000))
    (t,) = r.trades
    assert (t.exit_bar, t.exit_reason, t.exit_price) == (3, "bankrupt", 25.0)
    assert list(r.equity[3:]) == [0, 0, 0] and r.metrics["return_pct"] == -100


@pytest.mark.parametrize(
    ("signal", "message"),
    [([0, 1, 2, 0, 0, 0], "within [-1, 1]; bar 2 has 2.0"), ([0, 1], "2 values for 6 bars")],
)
def test_bad_signals_are_refused(signal: list[float], message: str) -> None:
    with pytest.raises(BacktestError) as e:
        run_backtest(bars6(), signal)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"cash": 0}, "cash must be a positive amount"),
        ({"commission": 0.5}, "commission must be a fraction"),
        ({"slippage": -0.1}, "slippage must be a fraction"),
        ({"sizing": "kelly"}, "sizing must be one of"),
        ({"fraction": 1.5}, "fraction must be in (0, 1]"),
        ({"units": 0, "sizing": "units"}, "units must be a whole number"),
        ({"stop_loss": 1.0}, "stop_loss must be a fraction"),
        ({"take_profit": 0}, "take_profit must be a positive fraction"),
        ({"sizing": "risk"}, "sizing 'risk' needs a stop_loss"),
    ],
)
def test_bad_settings_are_refused(kw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as e:
        BacktestConfig(**kw)  # type: ignore[arg-type]
    assert message in str(e.value)


def test_result_serialises_for_a_chart() -> None:
    r = run_backtest(bars6(), [0, 1, 1, 0, 0, 0], BacktestConfig(), strategy="x", params={"a": 1})
    d = r.to_dict(series=True)
    assert d["strategy"] == "x" and d["params"] == {"a": 1} and d["trades"] == 1
    assert len(d["equity"]) == len(d["drawdown"]) == len(d["time"]) == 6
    assert d["trade_list"][0]["entry_time"] == "2024-01-03" and d["trade_list"][0]["side"] == "long"
    assert d["profit_factor"] is None  # NaN (no losing trade) becomes null
    assert r.drawdown.min() == 0 and (r.drawdown >= 0).all()


# ----------------------------------------------------------------------------- runner


def test_sweep_ranks_valid_combinations_and_names_the_refused_ones() -> None:
    bars = random_bars(11, 300)
    res = sweep(bars, "sma_cross", {"fast": [5, 10, 30], "slow": [20, 40]}, rank_by="return_pct")
    assert len(res.rows) == 5 and len(res.skipped) == 1
    assert res.skipped[0][0] == {"fast": 30, "slow": 20}
    assert "fast (30) must be less than slow (20)" in res.skipped[0][1]
    returns = [row.metrics["return_pct"] for row in res.rows]
    assert returns == sorted(returns, reverse=True)
    best = res.best
    assert best is not None
    assert backtest(bars, "sma_cross", best.params).metrics["return_pct"] == returns[0]
    with pytest.raises(StrategyParamError, match="no parameter 'period'"):
        sweep(bars, "sma_cross", {"period": [5]})
    with pytest.raises(BacktestError, match="cannot rank by 'alpha'"):
        sweep(bars, "sma_cross", {"fast": [5]}, rank_by="alpha")


def test_a_universe_splits_the_cash_and_sums_equity_on_the_union_of_dates() -> None:
    a, b = random_bars(21, 200), random_bars(22, 150)
    b = OHLCV(b.time + 30 * np.timedelta64(1, "D"), b.open, b.high, b.low, b.close, b.volume, "B")
    cfg = BacktestConfig(cash=20_000, commission=0.001)
    u = run_universe({"A": a, "B": b}, "sma_cross", {"fast": 5, "slow": 20}, cfg)
    alone_a = backtest(a, "sma_cross", {"fast": 5, "slow": 20}, replace(cfg, cash=10_000))
    np.testing.assert_array_equal(u.results["A"].equity, alone_a.equity)
    assert len(u.time) == len(np.union1d(a.time, b.time))
    assert u.equity[0] == 20_000  # B has no bar yet: its share is still cash
    assert u.metrics["equity_final"] == pytest.approx(
        u.results["A"].equity[-1] + u.results["B"].equity[-1]
    )
    assert u.metrics["trades"] == len(u.results["A"].trades) + len(u.results["B"].trades)
    best = sweep_universe({"A": a, "B": b}, "sma_cross", {"fast": [5, 8]}, cfg).best
    assert best is not None and best.metrics["trades"] > 0


# ----------------------------------------------------------------------------- reference loop


def reference(bars, signal, cfg: BacktestConfig):
    """The conventions written as a plain bar-by-bar loop (no vectorization)."""
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    n, rate, slip = len(c), cfg.commission, cfg.slippage
    sig = np.nan_to_num(np.asarray(signal, float))
    sig = sig if cfg.allow_short else np.maximum(sig, 0)
    cash, pos, pending, trades, eq = cfg.cash, None, None, [], np.zeros(n)

    def close(k: int, px: float, why: str) -> None:
        nonlocal cash, pos
        size, entry, _, _ = pos
        px *= 1 - slip * np.sign(size)
        cash += size * (px - entry) - abs(size) * px * rate
        trades.append((entry_bar, k, size, px, why))
        pos = None

    for i in range(n):
        if pending is not None:
            target, ref = pending
            if pos:
                close(i, o[i], "signal")
            if target:
                side = 1 if target > 0 else -1
                adj = o[i] * (1 + slip * side)
                frac = min(abs(target), 1 - sys.float_info.epsilon)
                units = int((max(cash, 0) * frac) // (adj + (frac * o[i] * rate) / frac))
                if units:
                    cash -= units * adj * rate
                    sl = ref * (1 - side * cfg.stop_loss) if cfg.stop_loss else None
                    tp = ref * (1 + side * cfg.take_profit) if cfg.take_profit else None
                    pos, entry_bar = (side * units, adj, sl, tp), i
            pending = None
        if pos:
            size, _, sl, tp = pos
            if sl is not None and (lo[i] <= sl if size > 0 else h[i] >= sl):
                close(i, min(o[i], sl) if size > 0 else max(o[i], sl), "stop")
            elif tp is not None and (h[i] >= tp if size > 0 else lo[i] <= tp):
                close(i, max(o[i], tp) if size > 0 else min(o[i], tp), "target")
        eq[i] = cash + (pos[0] * (c[i] - pos[1]) if pos else 0.0)
        if eq[i] <= 0:
            if pos:
                close(i, c[i], "bankrupt")
            eq[i:] = 0
            return trades, eq
        if i < n - 1 and sig[i] != (sig[i - 1] if i else 0):
            pending = (sig[i], c[i])
    if pos:
        close(n - 1, o[n - 1], "end")
        eq[-1] = cash if cash > 0 else 0
    return trades, eq


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(2, 120),
    levels=st.sampled_from([(-1, 0, 1), (0, 1), (-1, 1), (-1, -0.5, 0, 0.3, 1)]),
    stop=st.sampled_from([None, 0.01, 0.03]),
    take=st.sampled_from([None, 0.02, 0.05]),
    rate=st.sampled_from([0.0, 0.002]),
    slip=st.sampled_from([0.0, 0.001]),
    short=st.booleans(),
)
def test_engine_agrees_with_a_bar_by_bar_loop(
    seed: int,
    n: int,
    levels: tuple[float, ...],
    stop: float | None,
    take: float | None,
    rate: float,
    slip: float,
    short: bool,
) -> None:
    bars = random_bars(seed, n)
    rng = np.random.default_rng(seed)
    signal = np.array(levels)[rng.integers(0, len(levels), n)] * (rng.random(n) < 0.3)
    signal = np.where(rng.random(n) < 0.5, np.nan, signal)  # NaN counts as flat
    cfg = BacktestConfig(
        cash=2000,
        commission=rate,
        slippage=slip,
        stop_loss=stop,
        take_profit=take,
        allow_short=short,
    )
    r = run_backtest(bars, signal, cfg)
    trades, eq = reference(bars, signal, cfg)
    got = [(t.entry_bar, t.exit_bar, t.size, t.exit_price, t.exit_reason) for t in r.trades]
    assert [(*g[:3], g[4]) for g in got] == [(*t[:3], t[4]) for t in trades]
    np.testing.assert_allclose([g[3] for g in got], [t[3] for t in trades], rtol=1e-12)
    np.testing.assert_allclose(r.equity, eq, rtol=1e-9, atol=1e-9)
    closed = sum(t.pnl for t in r.trades)
    if r.equity[-1] > 0:
        assert math.isclose(r.equity[-1], 2000 + closed, rel_tol=1e-9)
