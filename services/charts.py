"""Charts as PNG bytes (for Discord): candlesticks with overlays and trade signals, and a
backtest's equity curve with its drawdown.

Overlays (SMAs, Bollinger bands, the volume average) come from services.indicators, the
one library a card, /analyze and the strategy signals read too. matplotlib and mplfinance
are imported inside the functions (they cost about a second at start-up), always on the
non-interactive Agg backend. Every figure is closed, error or not, and rendering is
serialised by a lock: pyplot keeps global state and the bot may render from worker threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from models.domain import Bars
from services import indicators as ind
from services.indicators import Array

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_LOCK = threading.Lock()
_PNG = {"format": "png", "pil_kwargs": {"compress_level": 1}}  # fast; Discord re-encodes
UP, DOWN = "#26a69a", "#ef5350"
_STATE: dict[str, Any] = {}
_RC = {"axes.facecolor": "white", "figure.facecolor": "white"}


class ChartError(ValueError):
    """The data cannot be charted (the message says what is wrong)."""


def _mpl() -> Any:
    """matplotlib on Agg, configured once (quiet fonts, no interactive mode)."""
    import matplotlib

    if not _STATE.get("ready"):
        matplotlib.use("Agg")
        import logging

        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        _STATE["ready"] = True
    return matplotlib


def _times(ts: Sequence[datetime] | ArrayLike, n: int, what: str) -> NDArray[np.datetime64]:
    """Naive-UTC datetime64 stamps, strictly increasing, one per point."""
    items = list(ts)  # type: ignore[arg-type]
    if len(items) != n:
        raise ChartError(f"{what}: {len(items)} timestamps for {n} values")
    conv = [
        t.astimezone(UTC).replace(tzinfo=None)
        if isinstance(t, datetime) and t.tzinfo is not None
        else t
        for t in items
    ]
    try:
        out = np.asarray(conv, dtype="datetime64[ns]")
    except (TypeError, ValueError) as e:
        raise ChartError(f"{what}: timestamps are not dates ({e})") from None
    if n > 1 and not (np.diff(out) > np.timedelta64(0, "ns")).all():
        raise ChartError(f"{what}: timestamps must be strictly increasing")
    return out


def _ohlcv(bars: Bars) -> tuple[Array, ...]:
    cols = [
        np.asarray(getattr(bars, k), dtype=np.float64)
        for k in ("open", "high", "low", "close", "volume")
    ]
    n = len(cols[3])
    if any(len(c) != n for c in cols):
        raise ChartError(f"{bars.symbol}: open/high/low/close/volume differ in length")
    if n < 2:
        raise ChartError(f"{bars.symbol}: at least 2 bars are needed for a chart, got {n}")
    if not all(np.isfinite(c).all() for c in cols):
        raise ChartError(f"{bars.symbol}: bars have missing or non-finite values")
    if (cols[1] < cols[2]).any():
        raise ChartError(f"{bars.symbol}: a bar's high is below its low")
    return tuple(cols)


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
) -> Figure:
    """The candlestick figure behind `render_candles`; the caller must close it
    (`matplotlib.pyplot.close(fig)`). Axes: [price, price twin, volume, volume twin]."""
    o, h, lo, c, v = _ohlcv(bars)
    n = len(c)
    stamps = _times(bars.ts, n, bars.symbol)
    buy_at, sell_at = _indexes(buys, n, "buy"), _indexes(sells, n, "sell")
    if last is not None and last < 2:
        raise ChartError(f"show at least 2 bars, not {last}")
    if any(w < 1 for w in sma) or (bollinger is not None and bollinger[0] < 2):
        raise ChartError("moving-average and Bollinger windows must be positive")
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
    return fig


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
) -> bytes:
    """A candlestick chart PNG: the last `last` bars (None: all) with SMA lines, Bollinger
    bands (None for none), volume with its 20-bar average, and buy (green ^) and sell
    (red v) markers at the given bar indexes of `bars` (0 is the oldest; markers before the
    shown window are left out). Indicators use all the bars, so the first shown are right.
    Raises ChartError on bad bars, indexes or windows."""
    options: dict[str, Any] = {
        "buys": buys,
        "sells": sells,
        "sma": sma,
        "bollinger": bollinger,
        "last": last,
        "title": title,
        "size": size,
    }
    mpl = _mpl()
    # mplfinance sets its style in the global rcParams: the context puts them back after
    with _LOCK, mpl.rc_context():
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
    stamps = _times(ts, len(e), "equity")
    dd = drawdown(e)
    worst = int(np.argmin(dd))
    mpl = _mpl()
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _LOCK, mpl.rc_context(_RC):
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
