"""The backtester against backtesting.py, and a parameter sweep over a universe.

1. sma_cross(10, 20) on backtesting.py's GOOG with its README settings (cash 10 000,
   commission 0.2 %, exclusive orders, open trades closed at the end): our time (signal +
   engine + metrics) against backtesting.py's (Backtest + run), and whether both made the
   same trades (entry bar, exit bar, size) with the same metrics.
2. A 100-combination sma_cross sweep over 50 synthetic symbols of ~2 years of daily bars.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import _common as c
import numpy as np

OURS_RUNS = 50
REF_RUNS = 7
SYMBOLS = 50
DAYS = 504  # ~2 years of weekdays
FAST = list(range(5, 15))
SLOW = list(range(20, 70, 5))
TARGET_SPEEDUP = 20.0


def _times(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        out.append(c.ms(time.perf_counter_ns() - t0))
    return out


def versus_backtesting_py() -> dict[str, Any]:
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import GOOG, SMA

    from services.backtest import BacktestConfig, ohlcv_from_frame
    from services.backtest.runner import backtest

    class SmaCross(Strategy):
        n1, n2 = 10, 20

        def init(self) -> None:
            self.sma1 = self.I(SMA, self.data.Close, self.n1)
            self.sma2 = self.I(SMA, self.data.Close, self.n2)

        def next(self) -> None:
            if crossover(self.sma1, self.sma2):
                self.position.close()
                self.buy()
            elif crossover(self.sma2, self.sma1):
                self.position.close()
                self.sell()

    def reference() -> Any:
        bt = Backtest(
            GOOG,
            SmaCross,
            cash=10_000,
            commission=0.002,
            exclusive_orders=True,
            finalize_trades=True,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bt.run()

    bars = ohlcv_from_frame(GOOG)
    cfg = BacktestConfig.backtesting_py(cash=10_000, commission=0.002)

    def ours() -> Any:
        return backtest(bars, "sma_cross", {"fast": 10, "slow": 20}, cfg)

    ref, mine = reference(), ours()
    rt = ref["_trades"]
    theirs = list(zip(rt.EntryBar.tolist(), rt.ExitBar.tolist(), rt.Size.tolist(), strict=True))
    same_trades = [(t.entry_bar, t.exit_bar, t.size) for t in mine.trades] == theirs
    pairs = {
        "Return [%]": "return_pct",
        "Max. Drawdown [%]": "max_drawdown_pct",
        "Win Rate [%]": "win_rate_pct",
        "Profit Factor": "profit_factor",
        "Sharpe Ratio": "sharpe",
        "# Trades": "trades",
    }
    same_metrics = all(
        np.isclose(float(ref[k]), mine.metrics[v], rtol=1e-9) for k, v in pairs.items()
    )
    ref_ms = _times(reference, REF_RUNS)
    our_ms = _times(ours, OURS_RUNS)
    return {
        "data": f"GOOG daily, {len(bars)} bars",
        "trades": len(theirs),
        "trades_identical": same_trades,
        "metrics_identical": same_metrics,
        "ours_ms_p50": c.rnd(statistics.median(our_ms), 3),
        "ours_ms_min": c.rnd(min(our_ms), 3),
        "backtesting_py_ms_p50": c.rnd(statistics.median(ref_ms), 2),
        "backtesting_py_ms_min": c.rnd(min(ref_ms), 2),
        "speedup_p50": c.rnd(statistics.median(ref_ms) / statistics.median(our_ms), 1),
        "speedup_min": c.rnd(min(ref_ms) / min(our_ms), 1),
    }


def synthetic_universe(n_symbols: int, n_days: int, seed: int = 7) -> dict[str, Any]:
    """Random-walk daily bars (weekdays) for `n_symbols` symbols."""
    from services.backtest import ohlcv_from_arrays

    rng = np.random.default_rng(seed)
    days = np.busday_offset(np.datetime64("2023-01-02"), np.arange(n_days), roll="forward")
    out = {}
    for k in range(n_symbols):
        vol = rng.uniform(0.01, 0.03)
        close = rng.uniform(20, 300) * np.exp(np.cumsum(rng.normal(0.0003, vol, n_days)))
        open_ = close * np.exp(rng.normal(0, vol / 3, n_days))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, vol, n_days))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, vol, n_days))
        volume = rng.lognormal(13, 0.5, n_days)
        sym = f"S{k:02d}"
        out[sym] = ohlcv_from_arrays(days, open_, high, low, close, volume, symbol=sym)
    return out


def universe_sweep() -> dict[str, Any]:
    from services.backtest import BacktestConfig
    from services.backtest.runner import sweep_universe

    universe = synthetic_universe(SYMBOLS, DAYS)
    grid = {"fast": FAST, "slow": SLOW}
    t0 = time.perf_counter_ns()
    cfg = BacktestConfig(cash=1_000_000, commission=0.001)  # 20 000 a symbol
    res = sweep_universe(universe, "sma_cross", grid, cfg)
    wall = time.perf_counter_ns() - t0
    runs = len(res.rows) * SYMBOLS
    best = res.best
    return {
        "sweep_combinations": len(res.rows),
        "sweep_symbols": SYMBOLS,
        "sweep_bars_per_symbol": DAYS,
        "sweep_runs": runs,
        "sweep_wall_s": c.rnd(wall / 1e9, 3),
        "sweep_us_per_run": c.rnd(wall / 1e3 / runs, 1),
        "sweep_best": None
        if best is None
        else {"params": best.params, "sharpe": c.rnd(best.metrics["sharpe"], 3)},
    }


def main() -> None:
    figures = {**versus_backtesting_py(), **universe_sweep()}
    ok = bool(
        figures["trades_identical"]
        and figures["metrics_identical"]
        and (figures["speedup_p50"] or 0) >= TARGET_SPEEDUP
    )
    targets = {"speedup_p50_min": TARGET_SPEEDUP, "trades_identical": True}
    c.emit("backtest", figures, targets, ok)


if __name__ == "__main__":
    main()
