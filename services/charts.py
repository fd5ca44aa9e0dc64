"""Charts as PNG bytes (for Discord): candlesticks with overlays and trade signals (plus
today's bar so far and a pending card's entry, stop and target), and a backtest's equity
curve with its drawdown.

Overlays (SMAs, Bollinger bands, the volume average) come from services.indicators, the
one library a card, /analyze and the strategy signals read too. matplotlib and mplfinance
are imported inside the functions (they cost about a second at start-up), always on the
non-interactive Agg backend. Every figure is closed, error or not, and rendering is
serialised by a lock: pyplot keeps global state and the bot may render from worker threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from models.domain import Bars
from services import indicators as ind
from services.chart_data import (
    DOWN,
    UP,
    CandleData,
    ChartError,
    candle_data,
    datetimes,
    ohlcv_columns,
)
from services.indicators import Array

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RENDER_LOCK = threading.Lock()  # matplotlib is not thread-safe: one figure at a time
_PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}  # fast; Discord re-encodes
_STATE: dict[str, Any] = {}
_RC = {"axes.facecolor": "white", "figure.facecolor": "white"}


def _mpl() -> Any:
    """matplotlib on Agg, configured once (quiet fonts, no interactive mode)."""
    import matplotlib

    if not _STATE.get("ready"):
        matplotlib.use("Agg")
        import logging

        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        _STATE["ready"] = True
    return matplotlib


matplotlib_agg = _mpl  # public: other chart modules (services.option_charts) share the setup


def _indexes(idx: Sequence[int], n: int, what: str) -> list[int]:
    out = []
    for i in idx:
        if isinstance(i, bool) or not isinstance(i, int | np.integer):
            raise ChartError(f"{what} index {i!r} is not a bar number")
        if not 0 <= int(i) < n:
            raise ChartError(f"{what} index {int(i)} outside the bars 0..{n - 1}")
        out.append(int(i))
    return sorted(set(out))


def _human(v: float, _pos: object = None) -> str:
    """1.5M, 20K, 3.1B: volume axis labels."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.0f}"


def build_candles_figure(
    bars: Bars,
    *,
    buys: Sequence[int] = (),
    sells: Sequence[int] = (),
    sma: Sequence[int] = (20, 50),
    bollinger: tuple[int, float] | None = (20, 2.0),
    last: int | None = 120,
    title: str | None = None,
    size: tuple[float, float] = (9.0, 5.4),
    today: Bars | None = None,
    levels: Mapping[str, float | None] | None = None,
) -> Figure:
    """The candlestick figure behind `render_candles`; the caller must close it
    (`matplotlib.pyplot.close(fig)`). Axes: [price, price twin, volume, volume twin]."""
    o, h, lo, c, v = ohlcv_columns(bars)
    n = len(c)
    stamps = datetimes(bars.ts, n, bars.symbol)
    buy_at, sell_at = _indexes(buys, n, "buy"), _indexes(sells, n, "sell")
    if last is not None and last < 2:
        raise ChartError(f"show at least 2 bars, not {last}")
    if any(w < 1 for w in sma) or (bollinger is not None and bollinger[0] < 2):
        raise ChartError("moving-average and Bollinger windows must be positive")
    data = candle_data(bars, today=today, levels=levels, last=last)
    start = max(0, n - last) if last else 0
    view = slice(start, None)

    _mpl()
    import mplfinance as mpf
    import pandas as pd
    from matplotlib.collections import PolyCollection
    from matplotlib.ticker import FuncFormatter

    index = pd.DatetimeIndex(stamps[view])
    frame = pd.DataFrame(
        {"Open": o[view], "High": h[view], "Low": lo[view], "Close": c[view], "Volume": v[view]},
        index=index,
    )
    plots = [mpf.make_addplot(v[view], panel=1, width=0, alpha=0)]  # makes the volume panel
    vol_avg = ind.sma(v, 20)[view]
    if np.isfinite(vol_avg).any():
        plots.append(mpf.make_addplot(vol_avg, panel=1, color="#555555", width=0.8))
    colours = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b")
    for k, w in enumerate(sma):  # on the whole history, so the first shown bars are right
        line = ind.sma(c, w)[view]
        if np.isfinite(line).any():
            colour = colours[k % len(colours)]
            plots.append(mpf.make_addplot(line, color=colour, width=1.1, label=f"SMA{w}"))
    fill = None
    if bollinger is not None:
        bands = ind.bbands(c, bollinger[0], bollinger[1])
        upper, lower = bands.upper[view], bands.lower[view]
        if np.isfinite(upper).any():
            name = f"BB({bollinger[0]}, {bollinger[1]:g})"
            dashed = {"color": "#888888", "width": 0.7, "linestyle": "--"}
            plots.append(mpf.make_addplot(upper, label=name, **dashed))
            plots.append(mpf.make_addplot(lower, **dashed))
            ok = np.isfinite(upper)
            fill = {
                "y1": np.where(ok, upper, np.nan),
                "y2": np.where(ok, lower, np.nan),
                "alpha": 0.08,
                "color": "#888888",
            }
    pad = 0.02 * float(h[view].max() - lo[view].min() or h[view].max())
    marks = ((buy_at, lo - pad, "^", UP, "buy"), (sell_at, h + pad, "v", DOWN, "sell"))
    for at, price, marker, colour, label in marks:
        shown = [i for i in at if i >= start]
        if shown:
            y = np.full(n, np.nan)
            y[shown] = price[shown]
            dots = {"marker": marker, "markersize": 70, "color": colour, "label": label}
            plots.append(mpf.make_addplot(y[view], type="scatter", **dots))
    kwargs: dict[str, Any] = {"fill_between": fill} if fill else {}
    fig, axes = mpf.plot(
        frame,
        type="candle",
        style="yahoo",
        addplot=plots,
        panel_ratios=(3, 1),
        volume=False,
        returnfig=True,
        figsize=size,
        title=title or f"{bars.symbol} ({len(frame)} bars)",
        ylabel="Price",
        warn_too_much_data=10_000,
        **kwargs,
    )
    if axes[0].get_legend() is not None:  # a fixed corner: "best" is slow to work out
        axes[0].legend(loc="upper left", fontsize=7, framealpha=0.7)
    vax = axes[2]
    x = np.arange(len(frame))
    vol = v[view]
    up = c[view] >= o[view]
    verts = np.stack(
        [
            np.column_stack([x + dx, y])
            for dx, y in (
                (-0.4, np.zeros_like(vol)),
                (-0.4, vol),
                (0.4, vol),
                (0.4, np.zeros_like(vol)),
            )
        ],
        axis=1,
    )
    vax.add_collection(
        PolyCollection(list(verts), facecolors=np.where(up, UP, DOWN), linewidths=0, alpha=0.6)
    )
    vax.set_ylim(0, float(vol.max()) * 1.1 or 1.0)
    vax.yaxis.set_major_formatter(FuncFormatter(_human))
    vax.set_ylabel("Volume")
    _draw_today(axes[0], vax, data)
    _draw_levels(axes[0], data)
    if data.today is not None or data.lines:  # keep today's candle and every level in view
        lo_y, hi_y = data.price_range
        pad = 0.03 * (hi_y - lo_y or hi_y)
        y0, y1 = axes[0].get_ylim()
        axes[0].set_ylim(min(y0, lo_y - pad), max(y1, hi_y + pad))
    return fig


def _draw_today(ax: Any, vax: Any, data: CandleData) -> None:
    """Today's candle so far after the completed ones (hatched: it is not finished). It is
    drawn apart from mplfinance's frame, so the overlays stay those of completed bars."""
    t = data.today
    if t is None:
        return
    from matplotlib.patches import Rectangle

    x, colour = data.completed, UP if t.close >= t.open else DOWN
    ax.vlines(x, t.low, t.high, colors=colour, linewidths=1.0)
    body = max(abs(t.close - t.open), (t.high - t.low) * 0.01, 1e-9)
    ax.add_patch(
        Rectangle(
            (x - 0.35, min(t.open, t.close)),
            0.7,
            body,
            facecolor=colour,
            edgecolor=colour,
            alpha=0.55,
            hatch="//",
        )
    )
    ax.annotate(
        "today",
        (x, t.high),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=7,
        ha="center",
        color="#555555",
    )
    vax.add_patch(Rectangle((x - 0.4, 0), 0.8, t.volume, facecolor=colour, alpha=0.35))
    vax.set_ylim(0, max(vax.get_ylim()[1], t.volume * 1.1))
    ax.set_xlim(ax.get_xlim()[0], max(ax.get_xlim()[1], x + 1))


def _draw_levels(ax: Any, data: CandleData) -> None:
    """The card's entry, stop and target across the price panel, each labelled in an empty
    margin right of the last candle."""
    if not data.lines:
        return
    from matplotlib.transforms import blended_transform_factory

    x0, x1 = ax.get_xlim()
    ax.set_xlim(x0, x1 + max(6.0, 0.12 * len(data.close)))  # room for the labels
    edge = blended_transform_factory(ax.transAxes, ax.transData)
    for line in data.lines:
        ax.axhline(line.price, color=line.colour, linestyle="-.", linewidth=0.9, label=line.label)
        ax.text(
            0.997,
            line.price,
            line.label,
            transform=edge,
            fontsize=7,
            color=line.colour,
            va="bottom",
            ha="right",
        )


def render_candles(
    bars: Bars,
    *,
    buys: Sequence[int] = (),
    sells: Sequence[int] = (),
    sma: Sequence[int] = (20, 50),
    bollinger: tuple[int, float] | None = (20, 2.0),
    last: int | None = 120,
    title: str | None = None,
    size: tuple[float, float] = (9.0, 5.4),
    dpi: int = 100,
    today: Bars | None = None,
    levels: Mapping[str, float | None] | None = None,
) -> bytes:
    """A candlestick chart PNG: the last `last` bars (None: all) with SMA lines, Bollinger
    bands (None for none), volume with its 20-bar average, and buy (green ^) and sell
    (red v) markers at the given bar indexes of `bars` (0 is the oldest; markers before the
    shown window are left out). Indicators use all the bars, so the first shown are right.
    `today` (today's intraday bars) adds today's candle so far after the last completed
    bar; `levels` ({"entry": .., "stop": .., "target": ..}) draws labelled lines.
    Raises ChartError on bad bars, indexes or windows."""
    options: dict[str, Any] = {
        "buys": buys,
        "sells": sells,
        "sma": sma,
        "bollinger": bollinger,
        "last": last,
        "title": title,
        "size": size,
        "today": today,
        "levels": levels,
    }
    mpl = _mpl()
    # mplfinance sets its style in the global rcParams: the context puts them back after
    with RENDER_LOCK, mpl.rc_context():
        fig = build_candles_figure(bars, **options)
        import matplotlib.pyplot as plt

        try:
            buf = io.BytesIO()
            fig.savefig(buf, dpi=dpi, **_PNG)  # type: ignore[arg-type]
            return buf.getvalue()
        finally:
            plt.close(fig)


def drawdown(equity: ArrayLike) -> Array:
    """Percent below the running peak at each point (0 at a new high, never positive)."""
    e = np.asarray(equity, dtype=np.float64)
    peak = np.maximum.accumulate(e)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (e / peak - 1.0) * 100.0, 0.0)
    return np.minimum(dd, 0.0)


def render_equity(
    equity: ArrayLike,
    ts: Sequence[datetime] | ArrayLike,
    *,
    title: str | None = None,
    size: tuple[float, float] = (10.0, 5.0),
    dpi: int = 100,
) -> bytes:
    """A backtest's equity curve over `ts` with its drawdown underneath, as PNG bytes."""
    e = np.asarray(equity, dtype=np.float64)
    if e.ndim != 1 or len(e) < 2:
        raise ChartError(f"an equity curve needs at least 2 points, got {e.size}")
    if not np.isfinite(e).all():
        raise ChartError("equity has missing or non-finite values")
    if (e < 0).any() or e[0] <= 0:
        raise ChartError("equity must start above 0 and never go negative")
    stamps = datetimes(ts, len(e), "equity")
    dd = drawdown(e)
    worst = int(np.argmin(dd))
    mpl = _mpl()
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with RENDER_LOCK, mpl.rc_context(_RC):
        fig = Figure(figsize=size)  # no pyplot: nothing global to leak
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        fig.subplots_adjust(left=0.1, right=0.98, top=0.92, bottom=0.08, hspace=0.06)
        ret = (e[-1] / e[0] - 1) * 100
        top.plot(stamps, e, color="#1f77b4", linewidth=1.2)
        top.set_ylabel("Equity")
        top.set_title(title or f"Equity {e[0]:,.0f} -> {e[-1]:,.0f} ({ret:+.1f}%)")
        bottom.fill_between(stamps, dd, 0.0, color=DOWN, alpha=0.35, linewidth=0)
        bottom.plot(stamps, dd, color=DOWN, linewidth=0.8)
        bottom.annotate(
            f"max {dd[worst]:.1f}%",
            (stamps[worst], dd[worst]),
            fontsize=8,
            xytext=(4, -2),
            textcoords="offset points",
        )
        bottom.set_ylabel("Drawdown %")
        bottom.set_ylim(min(float(dd.min()) * 1.15, -1.0), 0.5)
        locator = mdates.AutoDateLocator(maxticks=8)
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
        buf = io.BytesIO()
        fig.savefig(buf, dpi=dpi, **_PNG)  # type: ignore[arg-type]
        return buf.getvalue()
