"""Strategies by name over one symbol, a universe, or a grid of parameters.

The API the front ends call: `backtest()` for one symbol, `run_universe()` for several
(cash split equally, one combined equity curve), `sweep()` / `sweep_universe()` for a
parameter grid ranked by a metric.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from services.backtest.engine import run_backtest
from services.backtest.errors import BacktestError, StrategyParamError
from services.backtest.frames import OHLCV
from services.backtest.metrics import Metrics, compute_metrics, drawdown, infer_periods
from services.backtest.result import BacktestConfig, BacktestResult
from services.signals import Params, get_strategy, resolve_params

ParamInput = Mapping[str, object] | Iterable[str] | None
Skipped = list[tuple[dict[str, object], str]]  # (the combination, why it was refused)


def backtest(
    bars: OHLCV, strategy: str, params: ParamInput = None, config: BacktestConfig | None = None
) -> BacktestResult:
    """Run the registered `strategy` with `params` (defaults filled in, validated) on `bars`;
    raises BacktestError when the bars are too few for its indicators to ever warm up."""
    spec = get_strategy(strategy)
    p = resolve_params(strategy, params)
    signal = spec.fn(bars, **p)
    if np.isnan(signal).all():
        shown = ", ".join(f"{k}={v}" for k, v in p.items())
        raise BacktestError(
            f"{len(bars)} bars are too few for {strategy}({shown}): its indicators never warm up"
        )
    return run_backtest(bars, signal, config, strategy=strategy, params=p)


@dataclass(frozen=True, slots=True, eq=False)
class UniverseResult:
    """A strategy run on several symbols, each with an equal share of the cash. `equity` is
    their sum on the union of all dates (a symbol's equity carries over days it has no bar);
    `metrics` are the portfolio's (trade statistics pool every symbol's trades; buy & hold
    is the mean of the symbols')."""

    strategy: str
    params: Params
    config: BacktestConfig
    time: NDArray[np.datetime64]
    equity: NDArray[np.float64]
    metrics: Metrics
    results: dict[str, BacktestResult]

    @property
    def drawdown(self) -> NDArray[np.float64]:
        return drawdown(self.equity)


class _Timeline:
    """The union of a universe's dates and where each symbol's bars sit on it."""

    def __init__(self, universe: Mapping[str, OHLCV]) -> None:
        if not universe:
            raise BacktestError("the universe is empty: give at least one symbol")
        self.time = np.unique(np.concatenate([b.time for b in universe.values()]))
        self.pos = {s: np.searchsorted(self.time, b.time) for s, b in universe.items()}
        self.carry = {
            s: np.searchsorted(b.time, self.time, side="right") - 1 for s, b in universe.items()
        }
        self.periods = infer_periods(self.time)


def _combine(
    universe: Mapping[str, OHLCV],
    line: _Timeline,
    runs: dict[str, BacktestResult],
    strategy: str,
    params: Params,
    cfg: BacktestConfig,
    share: float,
) -> UniverseResult:
    total = np.zeros(len(line.time))
    entries, exits, pnl, rets, fees, bh = [], [], [], [], [], []
    for sym, res in runs.items():
        idx = line.carry[sym]
        total += np.where(idx >= 0, res.equity[np.maximum(idx, 0)], share)
        lg = res.trade_log
        entries.append(line.pos[sym][lg.entry_bar])
        exits.append(line.pos[sym][lg.exit_bar])
        pnl.append(lg.pnl)
        rets.append(lg.returns)
        fees.append(lg.commission)
        c = universe[sym].close
        w = min(res.warmup, len(c) - 1)
        bh.append((c[-1] - c[w]) / c[w] * 100)
    order = np.argsort(np.concatenate(exits), kind="stable")
    metrics = compute_metrics(
        line.time,
        total,
        total,  # `close` only feeds buy & hold, replaced below by the symbols' mean
        entry_bar=np.concatenate(entries)[order],
        exit_bar=np.concatenate(exits)[order],
        pnl=np.concatenate(pnl)[order],
        returns=np.concatenate(rets)[order],
        commissions=float(np.concatenate(fees).sum()),
        periods_per_year=cfg.periods_per_year,
        periods=line.periods,
    )
    metrics["buy_hold_return_pct"] = float(np.mean(bh))
    return UniverseResult(strategy, params, cfg, line.time, total, metrics, runs)


def run_universe(
    universe: Mapping[str, OHLCV],
    strategy: str,
    params: ParamInput = None,
    config: BacktestConfig | None = None,
    *,
    per_symbol_metrics: bool = True,
    _line: _Timeline | None = None,
) -> UniverseResult:
    """Run `strategy` on every symbol of `universe` with cash / N each, and combine
    (`per_symbol_metrics=False` leaves each symbol's metrics empty, for speed)."""
    cfg = config or BacktestConfig()
    line = _line or _Timeline(universe)
    spec = get_strategy(strategy)
    p = resolve_params(strategy, params)
    share = cfg.cash / len(universe)
    each = replace(cfg, cash=share)
    runs = {
        sym: run_backtest(
            bars,
            spec.fn(bars, **p),
            each,
            strategy=strategy,
            params=p,
            with_metrics=per_symbol_metrics,
        )
        for sym, bars in universe.items()
    }
    return _combine(universe, line, runs, strategy, p, cfg, share)


@dataclass(frozen=True, slots=True)
class SweepRow:
    params: Params
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Every valid combination's metrics, best first by `rank_by` (NaN last); `skipped`
    lists the combinations the strategy refused, with the reason."""

    strategy: str
    rank_by: str
    rows: list[SweepRow]
    skipped: Skipped

    @property
    def best(self) -> SweepRow | None:
        return self.rows[0] if self.rows else None


def _combinations(
    strategy: str, grid: Mapping[str, Sequence[object]]
) -> tuple[list[Params], Skipped]:
    spec = get_strategy(strategy)
    for key, values in grid.items():
        if key not in spec.types:
            raise StrategyParamError(
                f"strategy {strategy} has no parameter {key!r}; its parameters: "
                + ", ".join(spec.types)
            )
        if isinstance(values, str) or not len(values):
            raise StrategyParamError(f"sweep values for {key} must be a non-empty list")
    keys = list(grid)
    valid: list[Params] = []
    skipped: Skipped = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        raw = dict(zip(keys, combo, strict=True))
        try:
            valid.append(resolve_params(strategy, raw))
        except StrategyParamError as e:
            skipped.append((raw, str(e)))
    return valid, skipped


def _ranked(strategy: str, rank_by: str, rows: list[SweepRow], skipped: Skipped) -> SweepResult:
    if rows and rank_by not in rows[0].metrics:
        raise BacktestError(f"cannot rank by {rank_by!r}: not a metric")

    def key(row: SweepRow) -> tuple[bool, float]:
        v = float(row.metrics[rank_by])
        return (math.isnan(v), -v if not math.isnan(v) else 0.0)

    return SweepResult(strategy, rank_by, sorted(rows, key=key), skipped)


def sweep(
    bars: OHLCV,
    strategy: str,
    grid: Mapping[str, Sequence[object]],
    config: BacktestConfig | None = None,
    *,
    rank_by: str = "sharpe",
) -> SweepResult:
    """Backtest every combination of `grid` (parameter -> values; others at defaults)."""
    spec = get_strategy(strategy)
    combos, skipped = _combinations(strategy, grid)
    rows = [SweepRow(p, run_backtest(bars, spec.fn(bars, **p), config).metrics) for p in combos]
    return _ranked(strategy, rank_by, rows, skipped)


def sweep_universe(
    universe: Mapping[str, OHLCV],
    strategy: str,
    grid: Mapping[str, Sequence[object]],
    config: BacktestConfig | None = None,
    *,
    rank_by: str = "sharpe",
) -> SweepResult:
    """Every combination of `grid` run on the whole universe, ranked by portfolio metric."""
    line = _Timeline(universe)
    combos, skipped = _combinations(strategy, grid)
    rows = [
        SweepRow(
            p,
            run_universe(
                universe, strategy, p, config, per_symbol_metrics=False, _line=line
            ).metrics,
        )
        for p in combos
    ]
    return _ranked(strategy, rank_by, rows, skipped)
