"""Performance metrics of an equity curve and its trades, with backtesting.py's definitions.

The formulae follow backtesting.py 0.6 (`_stats.compute_stats`) so the numbers match it:
returns are compounded (geometric), annualised over the periods a year inferred from the
dates (252 for weekday daily bars, 365 when weekends trade, 52 weekly, 12 monthly), and the
equity is sampled once a period (the last value of each day for intraday bars).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
DAY_NS = 86_400 * 10**9
Metrics = dict[str, float]


class Periods(NamedTuple):
    """How the equity is sampled and annualised: `last` holds the index of the last bar of
    each period (None when every bar is its own period)."""

    per_year: int
    last: NDArray[np.int64] | None


def infer_periods(time: NDArray[np.datetime64]) -> Periods:
    """The sampling period and periods a year, inferred as backtesting.py does: the median
    spacing of the last 100 bars (7 days weekly, 31 monthly, 365 yearly, else daily), and
    365 days a year when over 60 % of the 2/7 weekend share of bars fall on weekends."""
    t = time.astype("datetime64[ns]")
    step = np.diff(t[-100:]).astype(np.int64)
    freq_days = int(np.median(step) // DAY_NS) if len(step) else 0
    days = t.astype("datetime64[D]").astype(np.int64)
    if freq_days == 7:
        per_year, key = 52, (days + 3) // 7  # weeks Monday..Sunday, as pandas 'W'
    elif freq_days == 31:
        per_year, key = 12, t.astype("datetime64[M]").astype(np.int64)
    elif freq_days == 365:
        per_year, key = 1, t.astype("datetime64[Y]").astype(np.int64)
    else:
        weekend = ((days + 3) % 7 >= 5).mean() > 2 / 7 * 0.6
        per_year, key = (365 if weekend else 252), days
    change = key[1:] != key[:-1]
    if change.all():
        return Periods(per_year, None)
    return Periods(per_year, np.append(np.flatnonzero(change), len(key) - 1))


def geometric_mean(returns: FloatArray) -> float:
    """Mean compounded return per period (NaN counts as 0); 0 when a period lost all."""
    if not len(returns):
        return math.nan
    x = returns + 1.0
    nan = np.isnan(x)
    if nan.any():
        x[nan] = 1.0
    if (x <= 0).any():
        return 0.0
    return math.exp(float(np.log(x).sum()) / len(x)) - 1


def period_returns(equity: FloatArray, periods: Periods) -> FloatArray:
    """Returns of the last equity value of each period (NaN ones dropped, as pandas does)."""
    v = equity if periods.last is None else equity[periods.last]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = v[1:] / v[:-1] - 1
    nan = np.isnan(r)
    return r[~nan] if nan.any() else r


def drawdown(equity: FloatArray) -> FloatArray:
    """Drawdown from the running peak as a fraction (0 at a new high, 0.25 = 25 % below)."""
    return 1 - equity / np.maximum.accumulate(equity)


def _drawdown_stats(dd: FloatArray, time: NDArray[np.datetime64]) -> tuple[float, float, float]:
    """(max duration in days, mean duration in days, mean peak depth) of the drawdowns."""
    iloc = np.flatnonzero(dd == 0)
    if iloc[-1] != len(dd) - 1:
        iloc = np.append(iloc, len(dd) - 1)
    prev, cur = iloc[:-1], iloc[1:]
    keep = cur > prev + 1
    if not keep.any():
        nonzero = dd[dd != 0]
        return math.nan, math.nan, float(nonzero.mean()) if len(nonzero) else math.nan
    days = (time[cur[keep]] - time[prev[keep]]).astype("timedelta64[ns]").astype(np.int64) / DAY_NS
    peaks = np.maximum.reduceat(dd, prev)[keep]
    return float(days.max()), float(days.mean()), float(peaks.mean())


def _exposure(entry_bar: NDArray[np.int64], exit_bar: NDArray[np.int64], n: int) -> float:
    """Percent of bars with a position (a trade holds bars entry..exit, both included)."""
    if len(entry_bar) > 1 and not (entry_bar[1:] >= exit_bar[:-1]).all():
        held = np.zeros(n + 1, dtype=np.int64)  # overlapping trades (a universe): union
        np.add.at(held, entry_bar, 1)
        np.add.at(held, exit_bar + 1, -1)
        return float((np.cumsum(held[:n]) > 0).mean() * 100)
    # one after another: a bar shared by an exit and the next entry counts once
    shared = int((entry_bar[1:] == exit_bar[:-1]).sum()) if len(entry_bar) > 1 else 0
    return float((exit_bar - entry_bar + 1).sum() - shared) / n * 100


def compute_metrics(
    time: NDArray[np.datetime64],
    equity: FloatArray,
    close: FloatArray,
    *,
    entry_bar: NDArray[np.int64],
    exit_bar: NDArray[np.int64],
    pnl: FloatArray,
    returns: FloatArray,
    commissions: float = 0.0,
    warmup: int = 0,
    periods_per_year: int | None = None,
    periods: Periods | None = None,
) -> Metrics:
    """Every metric of a run: `returns` are the closed trades' fractional returns (net of
    commission), `pnl` their profit in cash, `warmup` the first bar the strategy could act
    (buy & hold is measured from there). Percentages are in percent; max drawdown is
    negative as in backtesting.py; NaN where a metric is undefined (no trades, no losers).
    `periods` may be passed to skip inferring them from `time` again."""
    n = len(equity)
    periods = periods or infer_periods(time)
    per_year = periods_per_year or periods.per_year
    eq0, eq_final = float(equity[0]), float(equity[-1])
    exposure = _exposure(entry_bar, exit_bar, n)
    c_w = float(close[min(warmup, n - 1)])
    return {
        "return_pct": (eq_final - eq0) / eq0 * 100,
        "buy_hold_return_pct": (float(close[-1]) - c_w) / c_w * 100,
        "equity_final": eq_final,
        "equity_peak": float(equity.max()),
        "commissions": float(commissions),
        **_equity_stats(time, equity, periods, per_year),
        "exposure_pct": exposure,
        **trade_stats(pnl, returns),
        "periods_per_year": per_year,
    }


def _equity_stats(
    time: NDArray[np.datetime64], equity: FloatArray, periods: Periods, per_year: int
) -> Metrics:
    """Annualised return, volatility, CAGR, the risk ratios and the drawdowns."""
    eq0, eq_final = float(equity[0]), float(equity[-1])
    r = period_returns(equity, periods)
    g = geometric_mean(r) if len(r) else 0.0
    ann_return = (1 + g) ** per_year - 1
    var = float(np.var(r, ddof=1)) if len(r) > 1 else math.nan
    root = (var + (1 + g) ** 2) ** per_year - (1 + g) ** (2 * per_year)
    vol = math.sqrt(root) * 100 if root >= 0 else math.nan
    span = int((time[-1] - time[0]).astype("timedelta64[ns]").astype(np.int64))
    years = (span // DAY_NS + (span % DAY_NS) // 10**9 / 86400) / 365.25
    cagr = ((eq_final / eq0) ** (1 / years) - 1) * 100 if years else math.nan
    downside = math.sqrt(float(np.square(np.minimum(r, 0.0)).mean())) if len(r) else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        sortino = float(np.float64(ann_return) / np.float64(downside * math.sqrt(per_year)))
    dd = drawdown(equity)
    max_dd = -float(np.nan_to_num(dd.max()))
    dd_max_days, dd_avg_days, dd_avg_peak = _drawdown_stats(dd, time)
    return {
        "cagr_pct": cagr,
        "return_ann_pct": ann_return * 100,
        "volatility_ann_pct": vol,
        "sharpe": ann_return * 100 / (vol or math.nan),
        "sortino": sortino,
        "calmar": ann_return / (-max_dd or math.nan),
        "max_drawdown_pct": max_dd * 100,
        "avg_drawdown_pct": -dd_avg_peak * 100,
        "max_drawdown_duration_days": dd_max_days,
        "avg_drawdown_duration_days": dd_avg_days,
    }


def trade_stats(pnl: FloatArray, returns: FloatArray) -> Metrics:
    """Win rate, best/worst/average trade, profit factor, expectancy, SQN and Kelly of the
    closed trades (plain Python: trade lists are short, numpy calls would cost more)."""
    n = len(pnl)
    nan = math.nan
    if n == 0:
        keys = (
            "win_rate_pct",
            "best_trade_pct",
            "worst_trade_pct",
            "avg_trade_pct",
            "profit_factor",
            "expectancy_pct",
            "sqn",
            "kelly",
        )
        return {"trades": 0, **dict.fromkeys(keys, nan)}
    pl, rt = pnl.tolist(), returns.tolist()
    wins = [x for x in pl if x > 0]
    losses = [x for x in pl if x < 0]
    win_rate = len(wins) / n
    gains = sum(x for x in rt if x > 0)
    drops = abs(sum(x for x in rt if x < 0))
    mean_pl = sum(pl) / n
    sd = math.sqrt(sum((x - mean_pl) ** 2 for x in pl) / (n - 1)) if n > 1 else nan
    avg_win = sum(wins) / len(wins) if wins else nan
    avg_loss = -sum(losses) / len(losses) if losses else nan
    ratio = avg_win / avg_loss if losses else nan
    kelly = win_rate - (1 - win_rate) / ratio if ratio == ratio and ratio != 0 else nan
    growth = [1 + x for x in rt]
    avg = 0.0 if min(growth) <= 0 else math.exp(sum(map(math.log, growth)) / n) - 1
    return {
        "trades": n,
        "win_rate_pct": win_rate * 100,
        "best_trade_pct": max(rt) * 100,
        "worst_trade_pct": min(rt) * 100,
        "avg_trade_pct": avg * 100,
        "profit_factor": gains / drops if drops else nan,
        "expectancy_pct": sum(rt) / n * 100,
        "sqn": math.sqrt(n) * mean_pl / sd if sd == sd and sd else nan,
        "kelly": kelly,
    }
