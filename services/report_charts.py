"""A performance report's charts as PNG bytes: the equity against the benchmark (rebased to
the equity) with the drawdown underneath, and the P&L by strategy as horizontal bars.

Same matplotlib setup as services.charts: Agg, no pyplot (a bare Figure, nothing global
left behind), one render at a time under RENDER_LOCK. Any input draws a figure: a single
point shows as markers, no point or no trade gives a figure saying so.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from services.chart_data import DOWN, UP
from services.charts import _PNG, _RC, RENDER_LOCK, _mpl
from services.reports.markdown import money
from services.reports.metrics import drawdown_pct
from services.reports.types import EquityPoint, GroupLine

EQUITY = "#1f77b4"
BENCH = "#7f7f7f"
MAX_BARS = 30  # more lines than this: the best and the worst half each
SIZE = (9.0, 5.0)
DPI = 100


def _render(draw: Any, size: tuple[float, float] = SIZE) -> bytes:
    """Draw on a fresh Figure under the lock and return its PNG bytes."""
    mpl = _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with RENDER_LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        try:
            draw(fig)
            buf = io.BytesIO()
            fig.savefig(buf, dpi=DPI, **_PNG)
            return buf.getvalue()
        finally:
            fig.clear()


def _empty(fig: Any, title: str, text: str) -> None:
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14, color="#555555")


def rebased_benchmark(points: Sequence[EquityPoint]) -> np.ndarray:
    """The benchmark scaled to the equity at its first known close (NaN where unknown)."""
    b = np.array([np.nan if p.benchmark is None else p.benchmark for p in points], dtype=float)
    known = np.flatnonzero(np.isfinite(b) & (b != 0))
    if not len(known):
        return np.full(len(points), np.nan)
    k = int(known[0])
    return b / b[k] * points[k].equity


def equity_vs_benchmark_png(
    points: Sequence[EquityPoint], title: str, *, benchmark: str = "Benchmark"
) -> bytes:
    """Equity and the benchmark (named `benchmark` in the legend) rebased to it on top, the
    equity's drawdown in percent underneath, as PNG bytes."""

    def draw(fig: Any) -> None:
        if not points:
            _empty(fig, title, "no equity data")
            return
        import matplotlib.dates as mdates

        days = [p.day for p in points]
        e = np.array([p.equity for p in points], dtype=float)
        bench = rebased_benchmark(points)
        dd = drawdown_pct(e)
        mark = {"marker": "o", "markersize": 4} if len(points) <= 31 else {}
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        fig.subplots_adjust(left=0.11, right=0.98, top=0.91, bottom=0.1, hspace=0.08)
        top.plot(days, e, color=EQUITY, linewidth=1.4, label="Equity", **mark)
        if np.isfinite(bench).any():
            name = f"{benchmark} (rebased)"
            top.plot(days, bench, color=BENCH, linewidth=1.1, linestyle="--", label=name, **mark)
            top.legend(loc="upper left", fontsize=8, framealpha=0.7)
        top.set_title(title)
        top.set_ylabel("Equity ($)")
        top.yaxis.set_major_formatter(_dollars())
        bottom.fill_between(days, dd, 0.0, color=DOWN, alpha=0.35, linewidth=0)
        bottom.plot(days, dd, color=DOWN, linewidth=0.9, **mark)
        bottom.set_ylabel("Drawdown %")
        bottom.set_ylim(min(float(dd.min()) * 1.15, -1.0), 0.5)
        locator = mdates.AutoDateLocator(minticks=2, maxticks=8)
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        if len(points) == 1:  # one day: give it some room either side
            x = mdates.date2num(days[0])
            bottom.set_xlim(x - 1, x + 1)
        for ax in (top, bottom):
            ax.grid(alpha=0.3)

    return _render(draw)


def _dollars() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"-${-v:,.0f}" if v < 0 else f"${v:,.0f}")


def _shown(lines: Sequence[GroupLine]) -> tuple[list[GroupLine], int]:
    """The lines to draw (the best and worst halves of MAX_BARS) and how many are left out."""
    if len(lines) <= MAX_BARS:
        return list(lines), 0
    half = MAX_BARS // 2
    return [*lines[:half], *lines[-half:]], len(lines) - MAX_BARS


def strategy_pnl_png(lines: Sequence[GroupLine], title: str) -> bytes:
    """The P&L of each line as horizontal bars (green gains, red losses, best on top, each
    labelled with its money figure), as PNG bytes; no lines: a "no closed trades" figure."""
    shown, hidden = _shown(sorted(lines, key=lambda g: (-g.pnl, g.name)))
    height = min(max(3.0, 0.32 * len(shown) + 1.4), 10.0) if shown else SIZE[1]

    def draw(fig: Any) -> None:
        if not shown:
            _empty(fig, title, "no closed trades")
            return
        ax = fig.subplots()
        names = [f"{g.name} ({g.trades})" for g in reversed(shown)]
        pnl = np.array([g.pnl for g in reversed(shown)], dtype=float)
        y = np.arange(len(shown))
        ax.barh(y, pnl, color=np.where(pnl >= 0, UP, DOWN), height=0.7)
        ax.set_yticks(y, names, fontsize=8)
        ax.axvline(0.0, color="#333333", linewidth=0.8)
        span = float(np.abs(pnl).max()) or 1.0
        ax.set_xlim(min(pnl.min(), 0.0) - 0.25 * span, max(pnl.max(), 0.0) + 0.25 * span)
        for yi, v in zip(y, pnl, strict=True):
            ax.text(
                v,
                yi,
                f" {money(v)} ",
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=7,
            )
        ax.xaxis.set_major_formatter(_dollars())
        ax.set_xlabel(
            "Net P&L ($)" + (f"; {hidden} lines in the middle left out" if hidden else "")
        )
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()

    return _render(draw, (SIZE[0], height))
