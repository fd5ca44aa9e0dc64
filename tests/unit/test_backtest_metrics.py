"""Metrics: hand-checked values, the annualisation backtesting.py infers from the dates,
and agreement with backtesting.py's own `compute_stats` on random curves and trades."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from backtesting._stats import compute_stats
from hypothesis import given, settings
from hypothesis import strategies as st

from services.backtest.metrics import (
    compute_metrics,
    drawdown,
    geometric_mean,
    infer_periods,
    period_returns,
    trade_stats,
)

DAY = np.timedelta64(1, "D")


def days(n: int, start: str = "2024-01-01", weekdays: bool = True) -> np.ndarray:
    if weekdays:
        d = np.busday_offset(np.datetime64(start, "D"), np.arange(n), roll="forward")
    else:
        d = np.datetime64(start, "D") + np.arange(n) * DAY
    return d.astype("datetime64[ns]")


def metrics(equity: list[float], entries=(), exits=(), pnl=(), rets=(), time=None):
    eq = np.asarray(equity, dtype=float)
    t = days(len(eq)) if time is None else time
    return compute_metrics(
        t,
        eq,
        np.full(len(eq), 10.0),
        entry_bar=np.asarray(entries, dtype=np.int64),
        exit_bar=np.asarray(exits, dtype=np.int64),
        pnl=np.asarray(pnl, dtype=float),
        returns=np.asarray(rets, dtype=float),
    )


def test_drawdown_depth_and_duration_by_hand() -> None:
    t = days(7, weekdays=False)
    m = metrics([100, 120, 90, 60, 130, 117, 140], time=t)
    assert m["return_pct"] == pytest.approx(40.0)
    assert m["max_drawdown_pct"] == pytest.approx(-50.0)  # 120 -> 60
    assert m["avg_drawdown_pct"] == pytest.approx(-(0.5 + 0.1) / 2 * 100)
    assert m["max_drawdown_duration_days"] == 3  # peak on day 1, recovered on day 4
    assert m["avg_drawdown_duration_days"] == 2.5
    np.testing.assert_allclose(drawdown(np.array([100.0, 120, 90])), [0, 0, 0.25])


def test_a_drawdown_still_open_at_the_end_counts_to_the_last_bar() -> None:
    m = metrics([100, 120, 100, 90, 95], time=days(5, weekdays=False))
    assert m["max_drawdown_duration_days"] == 3


def test_trade_statistics_by_hand() -> None:
    pnl = np.array([100.0, -50.0, 30.0, -20.0])
    rets = np.array([0.10, -0.05, 0.03, -0.02])
    s = trade_stats(pnl, rets)
    assert s["trades"] == 4 and s["win_rate_pct"] == 50
    assert s["profit_factor"] == pytest.approx(0.13 / 0.07)  # on returns, as backtesting.py
    assert s["expectancy_pct"] == pytest.approx(1.5)
    assert s["best_trade_pct"] == pytest.approx(10) and s["worst_trade_pct"] == pytest.approx(-5)
    assert s["kelly"] == pytest.approx(0.5 - 0.5 / (65 / 35))
    assert s["sqn"] == pytest.approx(2 * 15 / np.std(pnl, ddof=1))
    assert s["avg_trade_pct"] == pytest.approx((np.prod(1 + rets) ** 0.25 - 1) * 100)


def test_no_trades_gives_nan_trade_metrics_and_zero_exposure() -> None:
    m = metrics([100.0] * 10)
    assert m["trades"] == 0 and m["exposure_pct"] == 0
    assert math.isnan(m["win_rate_pct"]) and math.isnan(m["profit_factor"])
    assert m["return_pct"] == 0 and m["max_drawdown_pct"] == 0


def test_exposure_counts_a_shared_exit_and_entry_bar_once_and_overlaps_once() -> None:
    assert metrics([1.0] * 10, entries=[1, 4], exits=[4, 6])["exposure_pct"] == 60
    assert metrics([1.0] * 10, entries=[1, 2], exits=[5, 3])["exposure_pct"] == 50


def test_sharpe_is_annualised_geometric_return_over_annualised_volatility() -> None:
    eq = 100 * np.cumprod(np.r_[1, 1 + np.array([0.01, -0.005, 0.02, 0.0, -0.01] * 20)])
    m = metrics(list(eq))
    r = np.diff(eq) / eq[:-1]
    g = np.prod(1 + r) ** (1 / len(r)) - 1
    ann = (1 + g) ** 252 - 1
    vol = math.sqrt((np.var(r, ddof=1) + (1 + g) ** 2) ** 252 - (1 + g) ** 504)
    assert m["return_ann_pct"] == pytest.approx(ann * 100)
    assert m["volatility_ann_pct"] == pytest.approx(vol * 100)
    assert m["sharpe"] == pytest.approx(ann / vol)
    assert m["calmar"] == pytest.approx(ann / -(m["max_drawdown_pct"] / 100))
    downside = math.sqrt(np.mean(np.minimum(r, 0) ** 2)) * math.sqrt(252)
    assert m["sortino"] == pytest.approx(ann / downside)


@pytest.mark.parametrize(
    ("time", "per_year"),
    [
        (days(300), 252),
        (days(300, weekdays=False), 365),
        (np.datetime64("2020-01-06") + np.arange(80) * 7 * DAY, 52),
        (pd.date_range("2015-01-31", periods=60, freq="ME").to_numpy(), 12),
        (pd.date_range("2000-12-31", periods=20, freq="YE").to_numpy(), 1),
        (pd.date_range("2024-01-02 09:00", periods=200, freq="h").to_numpy(), 365),
    ],
)
def test_periods_a_year_are_inferred_like_backtesting_py(time: np.ndarray, per_year: int) -> None:
    assert infer_periods(time.astype("datetime64[ns]")).per_year == per_year


def test_intraday_equity_is_sampled_at_each_days_last_bar() -> None:
    t = (
        np.datetime64("2024-01-02T10:00")
        + np.array([0, 60, 120, 1440, 1500]) * np.timedelta64(1, "m")
    ).astype("datetime64[ns]")
    eq = np.array([100.0, 101.0, 102.0, 99.0, 110.0])
    np.testing.assert_allclose(period_returns(eq, infer_periods(t)), [110 / 102 - 1])


def test_geometric_mean_is_zero_after_a_total_loss() -> None:
    assert geometric_mean(np.array([0.1, -1.0, 0.2])) == 0
    assert geometric_mean(np.array([0.21, 0.0])) == pytest.approx(math.sqrt(1.21) - 1)
    assert math.isnan(geometric_mean(np.array([])))


# ----------------------------------------------------------------------------- vs backtesting.py

PAIRS = {
    "Return [%]": "return_pct",
    "Return (Ann.) [%]": "return_ann_pct",
    "Volatility (Ann.) [%]": "volatility_ann_pct",
    "CAGR [%]": "cagr_pct",
    "Sharpe Ratio": "sharpe",
    "Sortino Ratio": "sortino",
    "Calmar Ratio": "calmar",
    "Max. Drawdown [%]": "max_drawdown_pct",
    "Avg. Drawdown [%]": "avg_drawdown_pct",
    "Exposure Time [%]": "exposure_pct",
    "# Trades": "trades",
    "Win Rate [%]": "win_rate_pct",
    "Best Trade [%]": "best_trade_pct",
    "Worst Trade [%]": "worst_trade_pct",
    "Avg. Trade [%]": "avg_trade_pct",
    "Profit Factor": "profit_factor",
    "Expectancy [%]": "expectancy_pct",
    "SQN": "sqn",
    "Kelly Criterion": "kelly",
    "Equity Final [$]": "equity_final",
    "Buy & Hold Return [%]": "buy_hold_return_pct",
}

INDEXES = {
    "weekdays": lambda n: pd.bdate_range("2019-01-01", periods=n),
    "every day": lambda n: pd.date_range("2019-01-01", periods=n, freq="D"),
    "weekly": lambda n: pd.date_range("2010-01-03", periods=n, freq="W"),
    "monthly": lambda n: pd.date_range("2010-01-31", periods=n, freq="ME"),
    "hourly": lambda n: pd.date_range("2019-01-01 09:00", periods=n, freq="h"),
}


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(30, 400),
    kind=st.sampled_from(list(INDEXES)),
    n_trades=st.integers(0, 12),
)
def test_metrics_equal_backtesting_py_compute_stats(
    seed: int, n: int, kind: str, n_trades: int
) -> None:
    rng = np.random.default_rng(seed)
    index = INDEXES[kind](n)
    equity = 10_000 * np.cumprod(np.r_[1, 1 + rng.normal(0.0005, 0.02, n - 1)])
    equity[: rng.integers(0, 10)] = 10_000.0  # flat warm-up, like a real run
    close = 50 * np.cumprod(1 + rng.normal(0, 0.01, n))
    bars = np.sort(rng.choice(n, size=2 * n_trades, replace=False)).reshape(-1, 2)
    pnl = rng.normal(10, 100, n_trades)
    rets = rng.normal(0.01, 0.05, n_trades)
    trades = pd.DataFrame(
        {
            "EntryBar": bars[:, 0],
            "ExitBar": bars[:, 1],
            "PnL": pnl,
            "ReturnPct": rets,
            "Duration": index[bars[:, 1]] - index[bars[:, 0]],
            "Size": 1,
        }
    )
    ohlc = pd.DataFrame({"Open": close, "High": close, "Low": close, "Close": close}, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = compute_stats(trades, equity, ohlc, None)
    ours = compute_metrics(
        index.to_numpy(dtype="datetime64[ns]"),
        equity,
        close,
        entry_bar=bars[:, 0],
        exit_bar=bars[:, 1],
        pnl=pnl,
        returns=rets,
    )
    for theirs_key, our_key in PAIRS.items():
        assert np.isclose(
            float(ref[theirs_key]), ours[our_key], rtol=1e-9, atol=1e-9, equal_nan=True
        ), (theirs_key, ref[theirs_key], ours[our_key])
    dur = ref["Max. Drawdown Duration"]
    if isinstance(dur, pd.Timedelta):
        resolution = pd.Timedelta(1, "h" if kind == "hourly" else "D")
        assert ours["max_drawdown_duration_days"] * 86400 == pytest.approx(
            dur.total_seconds(), abs=resolution.total_seconds()
        )
