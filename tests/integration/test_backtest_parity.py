"""Our engine against backtesting.py (the reference) on its bundled data: the same trades
(entry and exit bars, sizes, prices), the same equity curve and the same metrics."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import BTCUSD, EURUSD, GOOG, SMA
from hypothesis import given, settings
from hypothesis import strategies as st

from services.backtest import BacktestConfig, BacktestResult, ohlcv_from_frame, run_backtest
from services.backtest.runner import backtest

PAIRS = {
    "# Trades": "trades",
    "Return [%]": "return_pct",
    "Max. Drawdown [%]": "max_drawdown_pct",
    "Win Rate [%]": "win_rate_pct",
    "Profit Factor": "profit_factor",
    "Sharpe Ratio": "sharpe",
    "Sortino Ratio": "sortino",
    "Calmar Ratio": "calmar",
    "CAGR [%]": "cagr_pct",
    "Return (Ann.) [%]": "return_ann_pct",
    "Volatility (Ann.) [%]": "volatility_ann_pct",
    "Exposure Time [%]": "exposure_pct",
    "Equity Final [$]": "equity_final",
    "Equity Peak [$]": "equity_peak",
    "Expectancy [%]": "expectancy_pct",
    "Kelly Criterion": "kelly",
    "SQN": "sqn",
    "Avg. Trade [%]": "avg_trade_pct",
    "Best Trade [%]": "best_trade_pct",
    "Worst Trade [%]": "worst_trade_pct",
    "Avg. Drawdown [%]": "avg_drawdown_pct",
    "Buy & Hold Return [%]": "buy_hold_return_pct",
}


class SmaCross(Strategy):
    """backtesting.py's README example, with optional stop/target and a long-only switch."""

    n1 = 10
    n2 = 20
    sl = 0.0
    tp = 0.0
    short = True

    def init(self) -> None:
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self) -> None:
        c = self.data.Close[-1]
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy(
                sl=c * (1 - self.sl) if self.sl else None, tp=c * (1 + self.tp) if self.tp else None
            )
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            if self.short:
                self.sell(
                    sl=c * (1 + self.sl) if self.sl else None,
                    tp=c * (1 - self.tp) if self.tp else None,
                )


def reference(
    data: pd.DataFrame, strategy: type[Strategy], cash: float, commission: float, **params: Any
) -> pd.Series:
    bt = Backtest(
        data,
        strategy,
        cash=cash,
        commission=commission,
        exclusive_orders=True,
        finalize_trades=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bt.run(**params)


def assert_same(ours: BacktestResult, ref: pd.Series) -> None:
    rt = ref["_trades"]
    assert [(t.entry_bar, t.exit_bar, t.size) for t in ours.trades] == list(
        zip(rt.EntryBar.tolist(), rt.ExitBar.tolist(), rt.Size.tolist(), strict=True)
    )
    np.testing.assert_allclose([t.entry_price for t in ours.trades], rt.EntryPrice, rtol=1e-12)
    np.testing.assert_allclose([t.exit_price for t in ours.trades], rt.ExitPrice, rtol=1e-12)
    np.testing.assert_allclose([t.pnl for t in ours.trades], rt.PnL, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.equity, ref["_equity_curve"].Equity, rtol=1e-12)
    for theirs, mine in PAIRS.items():
        assert np.isclose(float(ref[theirs]), ours.metrics[mine], rtol=1e-9, equal_nan=True), (
            theirs,
            ref[theirs],
            ours.metrics[mine],
        )
    dur = ref["Max. Drawdown Duration"]
    assert np.ceil(ours.metrics["max_drawdown_duration_days"]) == np.ceil(
        dur.total_seconds() / 86400
    )


CASES = [
    pytest.param(GOOG, 10, 20, 10_000, 0.002, {}, id="GOOG 10/20 README example"),
    pytest.param(GOOG, 5, 30, 10_000, 0.002, {}, id="GOOG 5/30"),
    pytest.param(GOOG, 20, 50, 100_000, 0.0, {}, id="GOOG 20/50 no commission"),
    pytest.param(EURUSD, 10, 20, 10_000, 0.002, {}, id="EURUSD hourly 10/20"),
    pytest.param(EURUSD, 30, 90, 10_000, 0.0005, {}, id="EURUSD hourly 30/90"),
    pytest.param(BTCUSD, 10, 20, 1_000_000, 0.002, {}, id="BTCUSD monthly, runs out of money"),
    pytest.param(BTCUSD, 3, 12, 10_000_000, 0.002, {}, id="BTCUSD monthly 3/12"),
    pytest.param(GOOG, 10, 20, 10_000, 0.002, {"sl": 0.05, "tp": 0.1}, id="GOOG stop+target"),
    pytest.param(GOOG, 10, 30, 10_000, 0.001, {"sl": 0.02}, id="GOOG tight stop"),
    pytest.param(GOOG, 10, 20, 10_000, 0.002, {"short": False}, id="GOOG long only"),
    pytest.param(EURUSD, 10, 20, 10_000, 0.002, {"sl": 0.002, "tp": 0.003}, id="EURUSD brackets"),
]


@pytest.mark.parametrize(("data", "fast", "slow", "cash", "commission", "extra"), CASES)
def test_sma_cross_reproduces_backtesting_py(
    data: pd.DataFrame,
    fast: int,
    slow: int,
    cash: float,
    commission: float,
    extra: dict[str, Any],
) -> None:
    ref = reference(data, SmaCross, cash, commission, n1=fast, n2=slow, **extra)
    cfg = BacktestConfig(
        cash=cash,
        commission=commission,
        stop_loss=extra.get("sl") or None,
        take_profit=extra.get("tp") or None,
        allow_short=extra.get("short", True),
    )
    assert cfg.backtesting_py_compatible
    ours = backtest(ohlcv_from_frame(data), "sma_cross", {"fast": fast, "slow": slow}, cfg)
    assert ours.metrics["trades"] > 0
    assert_same(ours, ref)


def test_the_readme_example_numbers() -> None:
    ours = backtest(
        ohlcv_from_frame(GOOG),
        "sma_cross",
        {"fast": 10, "slow": 20},
        BacktestConfig.backtesting_py(cash=10_000, commission=0.002),
    )
    m = ours.metrics
    assert m["trades"] == 94
    assert m["return_pct"] == pytest.approx(455.745129, abs=1e-6)
    assert m["max_drawdown_pct"] == pytest.approx(-33.931592, abs=1e-6)
    assert m["sharpe"] == pytest.approx(0.596858, abs=1e-6)


class FollowSignal(Strategy):
    """Trades a precomputed signal the way our engine reads it: on each change, close
    and (if not flat) buy/sell the signal's fraction of equity."""

    signal: Any = None

    def init(self) -> None:
        self.sig = self.I(lambda: np.asarray(self.signal, dtype=float), name="sig")

    def next(self) -> None:
        i = len(self.data) - 1
        now, before = self.sig[-1], self.sig[-2] if i else 0.0
        if now == before:
            return
        self.position.close()
        size = min(abs(now), Strategy._FULL_EQUITY)  # type: ignore[attr-defined]
        if now > 0:
            self.buy(size=size)
        elif now < 0:
            self.sell(size=size)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), p_change=st.sampled_from([0.02, 0.1, 0.3]))
def test_random_signals_reproduce_backtesting_py(seed: int, p_change: float) -> None:
    data = GOOG.iloc[:400]
    rng = np.random.default_rng(seed)
    levels = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    sig = np.where(rng.random(len(data)) < p_change, levels[rng.integers(0, 5, len(data))], np.nan)
    sig[0] = 0.0
    sig = pd.Series(sig).ffill().to_numpy(copy=True)
    sig[-1] = sig[-2]  # backtesting.py would still fill an order placed on the last bar
    ref = reference(data, FollowSignal, 10_000, 0.001, signal=sig)
    ours = run_backtest(ohlcv_from_frame(data), sig, BacktestConfig(commission=0.001))
    assert_same(ours, ref)
