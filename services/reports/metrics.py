"""The figures of a performance report, computed once from its inputs and rounded once.

Money is rounded to the cent and percents/ratios to 0.01 here, so the markdown, the CSVs,
the JSON and the charts all print the same numbers. The equity statistics reuse
`services.backtest.metrics` (daily returns, drawdown); Sharpe and Sortino here are the
plain daily ones, annualised with sqrt(252).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from services.backtest.metrics import Periods, drawdown, period_returns
from services.reports.types import (
    EquityPoint,
    GroupLine,
    PassedIdea,
    PassedSummary,
    ProposalCounts,
    Report,
    ReportInputs,
    ReportWindow,
    TradeRecord,
)

TRADING_DAYS = 252
MANUAL = "manual"  # the strategy name shown for trades opened by hand
_DAILY = Periods(TRADING_DAYS, None)
_TINY = 1e-12  # a deviation below this is float noise: the ratio is undefined


def cents(x: float) -> float:
    """Dollars rounded to the cent (never -0.0)."""
    return round(x, 2) + 0.0


def ratio2(x: float | None) -> float | None:
    """A percent or ratio rounded to 0.01; None stays None, and so does NaN/inf."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, 2) + 0.0


def daily_returns(equity: Sequence[float]) -> np.ndarray:
    """Session-to-session fractional returns of an equity series (undefined ones dropped)."""
    e = np.asarray(equity, dtype=np.float64)
    if len(e) < 2:
        return np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = period_returns(e, _DAILY)
    return r[np.isfinite(r)]


def sharpe_sortino(equity: Sequence[float]) -> tuple[float | None, float | None]:
    """(Sharpe, Sortino) of the daily returns, annualised with sqrt(252): mean over the
    sample deviation (ddof=1), and mean over the downside deviation sqrt(mean(min(r,0)²)).
    None with fewer than 2 returns or a zero deviation."""
    r = daily_returns(equity)
    if len(r) < 2:
        return None, None
    mean = float(r.mean())
    sd = float(r.std(ddof=1))
    down = math.sqrt(float(np.square(np.minimum(r, 0.0)).mean()))
    root = math.sqrt(TRADING_DAYS)
    sharpe = mean / sd * root if sd > _TINY else None
    sortino = mean / down * root if down > _TINY else None
    return sharpe, sortino


def drawdown_pct(equity: Sequence[float]) -> np.ndarray:
    """Percent below the running peak at each point (0 at a new high, never positive;
    0 where the peak is not positive, so it is undefined)."""
    e = np.asarray(equity, dtype=np.float64)
    if not len(e):
        return np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = -drawdown(e) * 100.0
    dd[~np.isfinite(dd) | (np.maximum.accumulate(e) <= 0)] = 0.0
    return np.minimum(dd, 0.0)


def max_drawdown_pct(equity: Sequence[float]) -> float | None:
    """The deepest drawdown in percent (<= 0); None with fewer than 2 points."""
    if len(equity) < 2:
        return None
    return float(drawdown_pct(equity).min())


def benchmark_return_pct(points: Sequence[EquityPoint]) -> float | None:
    """The benchmark's return from its first known close to its last, in percent."""
    known = [p.benchmark for p in points if p.benchmark is not None]
    if len(known) < 2 or not known[0]:
        return None
    return (known[-1] / known[0] - 1) * 100


def exposure_pct(window: ReportWindow, trades: Iterable[TradeRecord]) -> float | None:
    """Percent of [start, end) with at least one trade open: the union of each trade's
    [entry, exit or window end] clipped to the window. None for an empty window."""
    w0, w1 = window.start.timestamp(), window.end.timestamp()
    if w1 <= w0:
        return None
    spans = [
        (t.entry_time.timestamp(), w1 if t.exit_time is None else t.exit_time.timestamp())
        for t in trades
    ]
    if not spans:
        return 0.0
    a = np.asarray(spans, dtype=np.float64)
    s, e = np.maximum(a[:, 0], w0), np.minimum(a[:, 1], w1)
    keep = e > s
    s, e = s[keep], e[keep]
    if not len(s):
        return 0.0
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)  # the furthest end so far
    before = np.concatenate(([-np.inf], reach[:-1]))
    covered = float(np.clip(reach - np.maximum(s, before), 0.0, None).sum())
    return min(covered / (w1 - w0) * 100.0, 100.0)


def group_lines(trades: Sequence[TradeRecord], key: str) -> tuple[GroupLine, ...]:
    """P&L per strategy (`key="strategy"`) or symbol over the closed trades, best first
    (by P&L, then name); an empty strategy is "manual"."""
    pnl: dict[str, list[float]] = {}
    fees: dict[str, list[float]] = {}
    wins: dict[str, int] = {}
    for t in trades:
        name = getattr(t, key) or (MANUAL if key == "strategy" else "?")
        if name not in pnl:
            pnl[name], fees[name], wins[name] = [], [], 0
        pnl[name].append(t.realised_pnl)
        fees[name].append(t.fees)
        wins[name] += t.realised_pnl > 0
    lines = [
        GroupLine(name, len(p), wins[name], cents(math.fsum(p)), cents(math.fsum(fees[name])))
        for name, p in pnl.items()
    ]
    lines.sort(key=lambda g: (-g.pnl, g.name))
    return tuple(lines)


def approval_rate(p: ProposalCounts) -> float | None:
    """Approved over decided (approved + rejected + expired), in percent."""
    decided = p.approved + p.rejected + p.expired
    return p.approved / decided * 100 if decided else None


def passed_summary(ideas: Sequence[PassedIdea]) -> PassedSummary:
    """What the rejected and expired cards would have made or lost."""
    won = [i.pnl for i in ideas if i.pnl is not None and i.pnl > 0]
    lost = [i.pnl for i in ideas if i.pnl is not None and i.pnl < 0]
    return PassedSummary(
        count=len(ideas),
        winners=len(won),
        losers=len(lost),
        would_make=cents(math.fsum(won)),
        would_lose=cents(-math.fsum(lost)),
        pending=sum(1 for i in ideas if i.pnl is None),
    )


def _trade_figures(pnl: np.ndarray) -> dict[str, float | int | None]:
    """Wins, losses and the per-trade statistics of the closed trades' net P&L."""
    n = len(pnl)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    gross_win, gross_loss = math.fsum(wins.tolist()), math.fsum(losses.tolist())
    return {
        "wins": len(wins),
        "losses": len(losses),
        "win_rate": ratio2(len(wins) / n * 100) if n else None,
        "profit_factor": ratio2(gross_win / -gross_loss) if len(losses) else None,
        "expectancy": cents(math.fsum(pnl.tolist()) / n) if n else None,
        "avg_win": cents(gross_win / len(wins)) if len(wins) else None,
        "avg_loss": cents(gross_loss / len(losses)) if len(losses) else None,
        "largest_win": cents(float(wins.max())) if len(wins) else None,
        "largest_loss": cents(float(losses.min())) if len(losses) else None,
    }


def _rounded_equity(points: Sequence[EquityPoint]) -> tuple[EquityPoint, ...]:
    return tuple(
        EquityPoint(p.day, cents(p.equity), None if p.benchmark is None else round(p.benchmark, 4))
        for p in points
    )


def build_report(inputs: ReportInputs) -> Report:
    """Every figure of a report from its inputs, rounded once (money to the cent, percents
    and ratios to 0.01); undefined figures are None."""
    trades = inputs.trades
    pnl = np.fromiter((t.realised_pnl for t in trades), dtype=np.float64, count=len(trades))
    equity = [p.equity for p in inputs.equity]
    sharpe, sortino = sharpe_sortino(equity)
    start, end = inputs.start_equity, inputs.end_equity
    realised, unrealised = cents(inputs.realised), cents(inputs.unrealised)
    return Report(
        window=inputs.window,
        mode_label=inputs.mode_label,
        start_equity=cents(start),
        end_equity=cents(end),
        return_pct=ratio2((end / start - 1) * 100) if start else None,
        realised=realised,
        unrealised=unrealised,
        total_pnl=cents(realised + unrealised),  # the shown parts add up to the shown total
        fees=cents(inputs.fees),
        slippage=cents(math.fsum(t.slippage for t in trades)),
        benchmark_symbol=inputs.benchmark_symbol,
        benchmark_return_pct=ratio2(benchmark_return_pct(inputs.equity)),
        trades_opened=inputs.trades_opened,
        trades_closed=len(trades),
        **_trade_figures(pnl),  # type: ignore[arg-type]
        sharpe=ratio2(sharpe),
        sortino=ratio2(sortino),
        max_drawdown_pct=ratio2(max_drawdown_pct(equity)),
        exposure_pct=ratio2(exposure_pct(inputs.window, (*trades, *inputs.open_trades))),
        by_strategy=group_lines(trades, "strategy"),
        by_symbol=group_lines(trades, "symbol"),
        risk_events=inputs.risk_events,
        proposals=inputs.proposals,
        approval_rate=ratio2(approval_rate(inputs.proposals)),
        llm=replace(inputs.llm, cost_usd=cents(inputs.llm.cost_usd)),
        passed=passed_summary(inputs.passed),
        trades=trades,
        equity=_rounded_equity(inputs.equity),
        closed_trades_pnl=cents(math.fsum(pnl.tolist())),
        generated_at=inputs.generated_at,
    )
