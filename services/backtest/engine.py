"""The backtest engine: a signal series in, trades, an equity curve and metrics out.

Conventions (tested): a signal is decided at a bar's close and filled at the next bar's
open, in whole units. Orders are exclusive: when the signal changes, the open trade is
closed and a new one opened on the signal's side, both at that next open. Commission is a
fraction of the traded value, charged on entry and on exit; slippage moves every fill
against the trader. Stop-loss and take-profit are fractions of the signal bar's close,
checked on every bar the trade is open (the fill bar included): a stop fills at its price,
or at the open when the bar gaps through it; when both are touched in one bar the stop
wins. Equity at or below zero ends the run (the trade is closed at that bar's close).
With the defaults (all available equity, no slippage, open trades closed at the end) the
engine reproduces backtesting.py run with `exclusive_orders=True, finalize_trades=True`.

How it stays fast: fill bars follow from the signal alone, and so do the stop and target
exits (their levels come from the signal bar's close), so both are found with whole-array
numpy operations. Only the cash, which sets each trade's size, is carried trade by trade
in a short Python loop; the equity curve is then one vectorized expression.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from services.backtest.errors import BacktestError
from services.backtest.frames import OHLCV
from services.backtest.metrics import Periods, compute_metrics, infer_periods
from services.backtest.result import BacktestConfig, BacktestResult, TradeLog

_FULL_EQUITY = 1 - sys.float_info.epsilon  # backtesting.py's "all of it" size fraction
_NEVER = np.iinfo(np.int64).max
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def clean_signal(signal: ArrayLike, n: int, allow_short: bool = True) -> tuple[FloatArray, int]:
    """The signal as floats in [-1, 1] (NaN → 0, shorts → 0 when not allowed) and its
    warm-up: the first bar with a defined value. Raises BacktestError on a bad length/range."""
    raw = np.asarray(signal, dtype=np.float64).reshape(-1)
    if len(raw) != n:
        raise BacktestError(f"signal has {len(raw)} values for {n} bars")
    defined = ~np.isnan(raw)
    warmup = int(defined.argmax()) if defined.any() else 0
    sig = np.where(defined, raw, 0.0)
    outside = ~(np.abs(sig) <= 1)
    if outside.any():
        bad = int(outside.argmax())
        raise BacktestError(f"signal must be within [-1, 1]; bar {bad} has {sig[bad]}")
    return (sig if allow_short else np.maximum(sig, 0.0)), warmup


def _first_touch(
    bars: OHLCV,
    start: IntArray,
    length: IntArray,
    level: FloatArray,
    long: NDArray[np.bool_],
    below_for_long: bool,
) -> IntArray:
    """Per segment [start, start+length): the first bar whose low (long side, `below`) or
    high reaches `level`; _NEVER when none does. Segments are disjoint and increasing."""
    offsets = np.cumsum(length) - length
    bar = np.arange(int(length.sum())) + np.repeat(start - offsets, length)
    lv, lg = np.repeat(level, length), np.repeat(long, length)
    lo, hi = bars.low[bar], bars.high[bar]
    if below_for_long:
        touched = np.where(lg, lo <= lv, hi >= lv)
    else:
        touched = np.where(lg, hi >= lv, lo <= lv)
    return np.minimum.reduceat(np.where(touched, bar, _NEVER), offsets)


class _Plan:
    """Path-independent facts of each entry: its bars, side, levels and exit."""

    def __init__(self, bars: OHLCV, cfg: BacktestConfig, sig: FloatArray) -> None:
        n = len(bars)
        prev = np.empty(n - 1)
        prev[0], prev[1:] = 0.0, sig[:-2]
        order_bar = np.flatnonzero(sig[:-1] != prev)  # bars whose close changes the target
        fill = order_bar + 1
        nxt = np.append(fill[1:], n)[: len(fill)]  # where the next order fills (n: none)
        keep = sig[order_bar] != 0
        if not keep.all():
            order_bar, fill, nxt = order_bar[keep], fill[keep], nxt[keep]
        self.fill = fill
        self.target = sig[order_bar]
        self.side = np.where(self.target > 0, 1, -1)
        self.exit_bar = np.minimum(nxt, n - 1)
        self.exit_price = bars.open[self.exit_bar]
        self.reason = ["signal"] * len(fill)
        if len(fill) and nxt[-1] >= n:  # only the last entry can run to the end
            self.reason[-1] = "end" if cfg.close_at_end else "open"
        ref = bars.close[order_bar]
        self.stop = ref * (1 - self.side * cfg.stop_loss) if cfg.stop_loss else None
        self.take = ref * (1 + self.side * cfg.take_profit) if cfg.take_profit else None
        if len(fill) and (self.stop is not None or self.take is not None):
            self._brackets(bars, nxt - fill)

    def _brackets(self, bars: OHLCV, length: IntArray) -> None:
        long = self.side > 0
        hit_sl = hit_tp = np.full(len(self.fill), _NEVER)
        if self.stop is not None:
            hit_sl = _first_touch(bars, self.fill, length, self.stop, long, True)
        if self.take is not None:
            hit_tp = _first_touch(bars, self.fill, length, self.take, long, False)
        sl = (hit_sl != _NEVER) & (hit_sl <= hit_tp)
        tp = (hit_tp != _NEVER) & ~sl
        for mask, hit, level, worse_for_long in (
            (sl, hit_sl, self.stop, True),
            (tp, hit_tp, self.take, False),
        ):
            if level is None or not mask.any():
                continue
            k = hit[mask]
            o = bars.open[k]
            lvl = level[mask]
            # a stop fills at its level or a worse open; a target at its level or a better one
            long_px = np.minimum(o, lvl) if worse_for_long else np.maximum(o, lvl)
            short_px = np.maximum(o, lvl) if worse_for_long else np.minimum(o, lvl)
            self.exit_bar[mask] = k
            self.exit_price[mask] = np.where(long[mask], long_px, short_px)
            for i in np.flatnonzero(mask).tolist():
                self.reason[i] = "stop" if worse_for_long else "target"


def periods_of(bars: OHLCV) -> Periods:
    """The metrics' sampling periods for these bars, computed once per OHLCV object."""
    got = bars.cache.get("periods")
    if not isinstance(got, Periods):
        got = bars.cache["periods"] = infer_periods(bars.time)
    return got


def _units(cfg: BacktestConfig, cash: float, price: float, adj: float, target: float) -> int:
    """Whole units to buy/sell at `adj` (the fill) with `cash` available, as backtesting.py
    sizes a fractional order: floor(cash × frac / (price + commission per unit))."""
    rel, avail = cfg.commission, max(0.0, cash)
    if cfg.sizing == "units":
        units = cfg.units
        return units if units * (adj + (units * price * rel) / units) <= avail else 0
    frac = _FULL_EQUITY if cfg.sizing == "risk" else min(cfg.fraction * abs(target), _FULL_EQUITY)
    units = int((avail * 1.0 * frac) // (adj + (frac * price * rel) / frac))
    if cfg.sizing == "risk":
        assert cfg.stop_loss is not None
        units = min(units, int((avail * cfg.fraction * abs(target)) // (adj * cfg.stop_loss)))
    return units


def run_backtest(
    bars: OHLCV,
    signal: ArrayLike,
    config: BacktestConfig | None = None,
    *,
    strategy: str = "",
    params: dict[str, Any] | None = None,
    with_metrics: bool = True,
) -> BacktestResult:
    """Simulate trading `signal` (target position per bar, NaN = warm-up) on `bars`.

    `strategy` and `params` are recorded in the result; `with_metrics=False` skips the
    metrics (an empty dict) when only the trades and equity are wanted."""
    cfg = config or BacktestConfig()
    n = len(bars)
    if n < 2:
        raise BacktestError(f"need at least 2 bars to backtest, got {n}")
    sig, warmup = clean_signal(signal, n, cfg.allow_short)
    plan = _Plan(bars, cfg, sig)
    close, rel, slip = bars.close, cfg.commission, cfg.slippage

    cash = float(cfg.cash)
    ev_bar, ev_cash, ev_size, ev_entry = [0], [cash], [0], [0.0]  # state after each event
    rows: list[tuple[int, int, int, float, float, float, str]] = []
    open_at: tuple[int, int, float] | None = None  # (bar, size, price) left open at the end
    for f, price, side, target, k, raw_exit, last_close, why in zip(
        plan.fill.tolist(),
        bars.open[plan.fill].tolist(),
        plan.side.tolist(),
        plan.target.tolist(),
        plan.exit_bar.tolist(),
        plan.exit_price.tolist(),
        close[plan.exit_bar].tolist(),
        plan.reason,
        strict=True,
    ):
        adj = price * (1 + slip * side)
        units = _units(cfg, cash, price, adj, target)
        if units <= 0:
            continue  # the broker cancels an order it cannot fund
        size = side * units
        cash -= units * adj * rel
        ev_bar.append(f), ev_cash.append(cash), ev_size.append(size), ev_entry.append(adj)
        if why == "open":
            open_at = (f, size, adj)
            break
        if why == "end" and cash + (last_close * size - size * adj) <= 0:
            why, raw_exit = "bankrupt", last_close  # bust on the last bar's close comes first
        exit_px = raw_exit * (1 - slip * side)
        fee_out = units * exit_px * rel
        cash += size * (exit_px - adj) - fee_out
        ev_bar.append(k), ev_cash.append(cash), ev_size.append(0), ev_entry.append(0.0)
        rows.append((f, k, size, adj, exit_px, fee_out + units * adj * rel, why))

    eb = np.asarray(ev_bar)
    es = np.asarray(ev_size, dtype=np.float64)
    ec, ee = np.asarray(ev_cash), np.asarray(ev_entry)
    state = np.repeat(np.arange(len(eb)), np.diff(eb, append=n))  # the event each bar is in
    size_b = es[state]
    equity = ec[state] + (close * size_b - size_b * ee[state])
    bust = np.flatnonzero(equity <= 0)
    if len(bust):  # out of money: the run stops at the first bar with no equity left
        k = int(bust[0])
        s = int(state[k])
        entries = [r[0] for r in rows]
        if es[s] != 0:  # in a trade at k: it is closed at k's close
            del rows[bisect_left(entries, int(eb[s])) :]
            size, adj = int(es[s]), float(ee[s])
            exit_px = float(close[k]) * (1 - slip * (1 if size > 0 else -1))
            fees = abs(size) * exit_px * rel + abs(size) * adj * rel
            rows.append((int(eb[s]), k, size, adj, exit_px, fees, "bankrupt"))
        else:
            del rows[bisect_right(entries, k) :]
        open_at = None
        equity[k:] = 0.0

    log = TradeLog.from_rows(rows)
    metrics = (
        {}
        if not with_metrics
        else compute_metrics(
            bars.time,
            equity,
            close,
            entry_bar=log.entry_bar,
            exit_bar=log.exit_bar,
            pnl=log.pnl,
            returns=log.returns,
            commissions=float(log.commission.sum()),
            warmup=warmup,
            periods_per_year=cfg.periods_per_year,
            periods=periods_of(bars),
        )
    )
    return BacktestResult(
        symbol=bars.symbol,
        strategy=strategy,
        params=dict(params or {}),
        config=cfg,
        time=bars.time,
        close=close,
        equity=equity,
        trade_log=log,
        open_position=open_at,
        metrics=metrics,
        warmup=warmup,
    )
